//! GlobalSign GCC SOAP adapter (being written).
pub struct GlobalSign {
    #[allow(dead_code)]
    base: url::Url,
    #[allow(dead_code)]
    client: reqwest::Client,
}
impl GlobalSign {
    pub fn new(base: url::Url, client: reqwest::Client) -> Self {
        GlobalSign { base, client }
    }
}
