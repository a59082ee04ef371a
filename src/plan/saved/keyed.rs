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
