//! Certificate contacts (spec §4.7): get, replace, delete.

use super::service::Service;
use crate::error::{Error, Result};
use crate::store::Change;
use shared::models::Contacts;

impl Service {
    pub async fn contacts(&self) -> Result<Contacts> {
        self.db
            .run(|s| s.contacts())
            .await?
            .ok_or_else(contacts_not_found)
    }

    pub async fn set_contacts(&self, contacts: Contacts) -> Result<Contacts> {
        let list = contacts
            .contacts
            .ok_or_else(|| Error::bad("The request must carry a 'contacts' list."))?;
        for c in &list {
            let email = c.email.as_deref().unwrap_or("");
            if !email.contains('@') {
                return Err(Error::bad(format!(
                    "Each contact needs a valid email address; got '{email}'."
                )));
            }
        }
        let stored = Contacts {
            id: None,
            contacts: Some(list),
        };
        let change = Change::PutContacts(stored.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(stored)
    }

    pub async fn delete_contacts(&self) -> Result<Contacts> {
        let existing = self.contacts().await?;
        self.db
            .run(|s| s.apply(vec![Change::DeleteContacts]))
            .await?;
        Ok(existing)
    }
}

fn contacts_not_found() -> Error {
    Error::NotFound {
        code: "ContactsNotFound",
        message: "Contacts not found: no certificate contacts are set in this vault.".into(),
    }
}
