//! GCC's example answers (shared/spec/globalsign/examples), kept verbatim for the tests.

// Verbatim copies of shared/spec/globalsign/examples/*.response.xml (zeep-generated, valid
// against the WSDLs).
pub(super) const OV_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:OVOrderResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
      </Response>
    </ns2:OVOrderResponse>
  </soap:Body>
</soap:Envelope>"#;
pub(super) const GET_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:GetOrderByOrderIDResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
        <OrderDetail>
          <OrderInfo>
            <OrderId>CE20261127000001</OrderId>
            <ProductCode>OV</ProductCode>
            <OrderKind>new</OrderKind>
            <Licenses>1</Licenses>
            <DomainName>www.example.com</DomainName>
            <OrderDate>2026-11-27T07:18:04.000+00:00</OrderDate>
            <OrderCompleteDate>2026-11-27T07:18:04.000+00:00</OrderCompleteDate>
            <OrderStatus>4</OrderStatus>
            <Price>0.00</Price>
            <Currency>USD</Currency>
            <ValidityPeriod>
              <Months>12</Months>
              <NotBefore>2026-11-27T07:18:04.000+00:00</NotBefore>
              <NotAfter>2027-12-29T07:23:04.000+00:00</NotAfter>
            </ValidityPeriod>
          </OrderInfo>
          <OrderSubInfo>
            <CSRSkipOrderFlag>false</CSRSkipOrderFlag>
            <DNSOrderFlag>false</DNSOrderFlag>
            <TrustedOrderFlag>false</TrustedOrderFlag>
            <P12DeleteStatus>false</P12DeleteStatus>
            <SubId>0</SubId>
          </OrderSubInfo>
          <OrderOption>
            <OrganizationInfo>
              <OrganizationName>Example Org Inc</OrganizationName>
              <OrganizationAddress>
                <AddressLine1>123 Main St</AddressLine1>
                <City>Boston</City>
                <Region>MA</Region>
                <PostalCode>02110</PostalCode>
                <Country>US</Country>
                <Phone>+1 617 555 0100</Phone>
              </OrganizationAddress>
            </OrganizationInfo>
            <ContactInfo>
              <FirstName>Jane</FirstName>
              <LastName>Doe</LastName>
              <Phone>+1 617 555 0100</Phone>
              <Email>jane@example.com</Email>
            </ContactInfo>
          </OrderOption>
          <CertificateInfo>
            <CertificateStatus>4</CertificateStatus>
            <StartDate>2026-11-27T07:18:04.000+00:00</StartDate>
            <EndDate>2027-12-29T07:23:04.000+00:00</EndDate>
            <CommonName>www.example.com</CommonName>
            <SerialNumber>2B1A0454612FF4371A639F1B42FCB50D11DBC073</SerialNumber>
            <SubjectName>CN=www.example.com</SubjectName>
            <DNSNames>www.example.com</DNSNames>
          </CertificateInfo>
          <Fulfillment>
            <CACertificates>
              <CACertificate>
                <CACertType>ROOT</CACertType>
                <CACert>-----BEGIN CERTIFICATE-----
MIIBvTCCAWKgAwIBAgIUM/bM9Qu2duZ3m9hWN9PB1d73FDwwCgYIKoZIzj0EAwIw
PDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxJDAiBgNVBAMMG0Zha2VHbG9iYWxTaWdu
IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYwNzIzMDRaFw0zNjExMjQwNzIzMDRaMDwx
FDASBgNVBAoMC2NhLXNpbSB0ZXN0MSQwIgYDVQQDDBtGYWtlR2xvYmFsU2lnbiBU
ZXN0IFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ0s7Dn+QvSEzTn
49OkwptI6DGyFZPj7sowjnJGtb4kmTdNb0lH8NZpHyliuWJQNwVIJstjgBNZUDUr
WuzItltDo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNV
HQ4EFgQU+yShH1yb9dZ6sM/RQVRf/zhmZHEwCgYIKoZIzj0EAwIDSQAwRgIhANvM
iKjhQ4emkxpe0yqxiJSqBBxNMjm4uvxTrUci9EfYAiEAyIz974YGa66du9SUsadZ
dw3zmL5YSLMsvBB5WRQpWNE=
-----END CERTIFICATE-----
</CACert>
              </CACertificate>
              <CACertificate>
                <CACertType>INTER</CACertType>
                <CACert>-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIUESUlikATQkxeGTA5sFc0z43lQCQwCgYIKoZIzj0EAwIw
PDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxJDAiBgNVBAMMG0Zha2VHbG9iYWxTaWdu
IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYwNzIzMDRaFw0zNjExMjQwNzIzMDRaMEQx
FDASBgNVBAoMC2NhLXNpbSB0ZXN0MSwwKgYDVQQDDCNGYWtlR2xvYmFsU2lnbiBU
ZXN0IEludGVybWVkaWF0ZSBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFlY
1j6w7neeFftYGl1Jg/FByhIAQSihAJOrDlkjJcORFE5QnhRkOvEwUj/hN/z9CX6F
TpPWpBx9YMlJb3LCLDOjRTBDMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/
BAQDAgEGMB0GA1UdDgQWBBQW1TYo2zOYvb2gAA2gdUL7gJIrojAKBggqhkjOPQQD
AgNIADBFAiEApB+OpxXsvESGPL+2dvzFLW7B6ZtOFX33aOMhccir1qcCIEY9M0yf
uJgKGHHdMU4xXaC8BEC+U2BzRKam375zKdnG
-----END CERTIFICATE-----
</CACert>
              </CACertificate>
            </CACertificates>
            <ServerCertificate>
              <X509Cert>-----BEGIN CERTIFICATE-----
MIICazCCAhKgAwIBAgIUKxoEVGEv9DcaY58bQvy1DRHbwHMwCgYIKoZIzj0EAwIw
RDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxLDAqBgNVBAMMI0Zha2VHbG9iYWxTaWdu
IFRlc3QgSW50ZXJtZWRpYXRlIENBMB4XDTI2MTEyNzA3MTgwNFoXDTI3MTIyOTA3
MjMwNFowGjEYMBYGA1UEAwwPd3d3LmV4YW1wbGUuY29tMIIBIjANBgkqhkiG9w0B
AQEFAAOCAQ8AMIIBCgKCAQEA0nHupjI+azutY33sMju9sbZm9/E+jOds00cIy1Mm
a/s2FszJ+216wEBN21BTGFIP95cLJ1dFmoQTXNZWncv7H3X+PpHkGsa7bYJtoVZS
eCSLnvNGf9gx382ExDmSaJ4RSHzyNGBug5PLG2fyUPxq2Zgvsh6flKOs9xb5uLSc
/Jpr8IQyMdVk4zAbQK1xHlPOkYGxigBH3LoIrkFT+k5XEJzoOjSTCLzh9qQAbpwU
SYcpKrtxYPP4TBpkBm7HKT6p1a2cYJ/jZeth/oVwX4nVnAMGWbAPKz6bEzgEL5if
otS2G0YVaJvsuSgr+3C6hEcbG0BREhz/UnC9MeGu7XwjWQIDAQABo0EwPzAMBgNV
HRMBAf8EAjAAMBoGA1UdEQQTMBGCD3d3dy5leGFtcGxlLmNvbTATBgNVHSUEDDAK
BggrBgEFBQcDATAKBggqhkjOPQQDAgNHADBEAiBY757YE6FbuPRSLqMdp1/lfhNP
k2z172uPeS7TXDzWOgIgTe+CCL6Zh5sy1Fl2SQCLgZ9l+M8isFWOuukbNrlHhGE=
-----END CERTIFICATE-----
</X509Cert>
              <PKCS7Cert>-----BEGIN PKCS7-----
MA==
-----END PKCS7-----</PKCS7Cert>
            </ServerCertificate>
          </Fulfillment>
        </OrderDetail>
      </Response>
    </ns2:GetOrderByOrderIDResponse>
  </soap:Body>
</soap:Envelope>"#;
pub(super) const MODIFY_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:ModifyOrderResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
      </Response>
    </ns2:ModifyOrderResponse>
  </soap:Body>
</soap:Envelope>"#;
