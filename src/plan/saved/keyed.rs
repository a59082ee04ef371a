//! The keyed tags (HMAC-SHA256) that stand for identities and values in a
//! saved plan, and the fingerprints of changes made of them.

use super::*;

pub(super) fn company_fingerprint(keyed: &Keyed, change: &CompanyChange) -> SavedCompanyChange {
    let CompanyChange {
        action,
        source,
        domain,
        company_id,
        updated_at,
        fields,
        name: _,
    } = change;
    SavedCompanyChange {
        action: *action,
        source: source.clone(),
        identity: keyed.tag("company", &crate::company::domain_key(domain)),
        company_id: company_id.clone(),
        updated_at: updated_at.clone(),
        fields: fields
            .iter()
            .map(|field| saved_field(keyed, field))
            .collect(),
    }
}

pub(super) fn saved_field(keyed: &Keyed, field: &FieldChange) -> SavedField {
    let FieldChange {
        path,
        before,
        after,
    } = field;
    SavedField {
        path: path.clone(),
        before: keyed.tag(path, &before.to_string()),
        after: keyed.tag(path, &after.to_string()),
    }
}

/// The HMAC of one plan: keyed with the token's key, salted per plan.
pub(super) struct Keyed(Hmac<Sha256>);

impl Keyed {
    pub(super) fn new(key: &PlanKey, salt: &str) -> Keyed {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(salt.as_bytes());
        mac.update(&[0]);
        Keyed(mac)
    }

    /// A key of its own for `label`.
    pub(super) fn derived(&self, label: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.finalize().into_bytes().into()
    }

    /// `plain` sealed, as hex. The key is this plan's alone (its salt is
    /// random), and seals this one text: a fixed nonce is safe.
    pub(super) fn seal(&self, plain: &[u8]) -> String {
        let mut sealed = plain.to_vec();
        self.aead()
            .seal_in_place_append_tag(Self::nonce(), ring::aead::Aad::empty(), &mut sealed)
            .unwrap_or_else(|_| unreachable!("a few globs are far below the cipher's limit"));
        hex::encode(sealed)
    }

    /// What [`Keyed::seal`] sealed, if this key sealed it.
    pub(super) fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let mut bytes = hex::decode(sealed).ok()?;
        let plain = self
            .aead()
            .open_in_place(Self::nonce(), ring::aead::Aad::empty(), &mut bytes)
            .ok()?;
        Some(plain.to_vec())
    }

    pub(super) fn aead(&self) -> ring::aead::LessSafeKey {
        let key =
            ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &self.derived("targeting"))
                .unwrap_or_else(|_| unreachable!("a 32-byte key fits ChaCha20-Poly1305"));
        ring::aead::LessSafeKey::new(key)
    }

    pub(super) fn nonce() -> ring::aead::Nonce {
        ring::aead::Nonce::assume_unique_for_key([0; ring::aead::NONCE_LEN])
    }

    /// The tag of `text` under `label` (a field path, or "identity").
    pub(super) fn tag(&self, label: &str, text: &str) -> String {
        let mut mac = self.0.clone();
        for part in [label, text] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keyed(token: &str, salt: &str) -> Keyed {
        Keyed::new(&PlanKey::from_token(&crate::api::Token::new(token)), salt)
    }

    #[test]
    fn the_same_text_under_the_same_key_and_salt_has_the_same_tag() {
        let tag = |k: &Keyed| k.tag("jobTitle", "\"CEO\"");
        assert_eq!(tag(&keyed("t", "s")), tag(&keyed("t", "s")));
        assert_eq!(tag(&keyed("t", "s")).len(), 64);
    }

    #[test]
    fn a_changed_value_label_salt_or_token_changes_the_tag() {
        let base = keyed("t", "s").tag("jobTitle", "\"CEO\"");
        for other in [
            keyed("t", "s").tag("jobTitle", "\"CTO\""),
            keyed("t", "s").tag("description", "\"CEO\""),
            keyed("t", "other salt").tag("jobTitle", "\"CEO\""),
            keyed("another token", "s").tag("jobTitle", "\"CEO\""),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn label_and_text_are_kept_apart_in_the_tag() {
        let k = keyed("t", "s");
        assert_ne!(k.tag("ab", "c"), k.tag("a", "bc"));
    }

    #[test]
    fn what_is_sealed_opens_only_with_its_key_and_unaltered() {
        let sealed = keyed("t", "s").seal(b"[\"jane@acme.com\"]");
        assert!(!sealed.contains("jane"));
        let opened = keyed("t", "s").open(&sealed);
        assert_eq!(opened.as_deref(), Some(b"[\"jane@acme.com\"]".as_slice()));
        assert_eq!(keyed("t", "other salt").open(&sealed), None);
        assert_eq!(keyed("another token", "s").open(&sealed), None);
        let mut altered = sealed.clone().into_bytes();
        altered[0] = if altered[0] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            keyed("t", "s").open(&String::from_utf8(altered).unwrap()),
            None
        );
        assert_eq!(keyed("t", "s").open("not hex"), None);
    }

    #[test]
    fn a_field_is_saved_as_its_path_and_the_tags_of_its_values() {
        let k = keyed("t", "s");
        let field = FieldChange {
            path: "jobTitle".into(),
            before: json!("CTO"),
            after: json!("CEO"),
        };
        let saved = saved_field(&k, &field);
        assert_eq!(saved.path, "jobTitle");
        assert_eq!(saved.before, k.tag("jobTitle", "\"CTO\""));
        assert_eq!(saved.after, k.tag("jobTitle", "\"CEO\""));
    }
}
