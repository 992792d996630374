//! Small cryptographic helpers: random tokens, hashes for stored secrets,
//! HMAC signatures for customer links, constant-time comparison.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Without the OS generator there is no safe way to mint secrets, and no
    // weaker fallback is acceptable: stop rather than issue guessable ones.
    if getrandom::fill(&mut buf).is_err() {
        tracing::error!("the operating system random generator failed");
        std::process::abort();
    }
    buf
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A new random token as 64 hex characters.
pub fn new_token() -> String {
    hex(&random_bytes::<32>())
}

/// SHA-256 as hex: how tokens and session ids are stored.
pub fn sha256_hex(data: &str) -> String {
    hex(&Sha256::digest(data.as_bytes()))
}

/// Compares without leaking where the first difference is.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signature that binds a customer to one survey's link.
pub fn sign_customer(key: &[u8], slug: &str, external_id: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"cxloop-customer-link\0");
    mac.update(slug.as_bytes());
    mac.update(b"\0");
    mac.update(external_id.as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// True when `sig` is the signature of this customer for this survey.
pub fn verify_customer(key: &[u8], slug: &str, external_id: &str, sig: &str) -> bool {
    !external_id.is_empty() && ct_eq(&sign_customer(key, slug, external_id), sig)
}

/// HMAC-SHA256 of a request body as lowercase hex: what an inbound webhook
/// sends as `X-Cxloop-Signature: sha256=<hex>`.
pub fn sign_body(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// True when `header` is `sha256=` and the body's signature under `secret`.
pub fn verify_body(secret: &str, body: &[u8], header: &str) -> bool {
    header.strip_prefix("sha256=").is_some_and(|sig| ct_eq(&sign_body(secret, body), &sig.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_signatures_match_a_known_value() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test value.
        let sig = sign_body("key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(sig, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        assert!(verify_body("key", b"The quick brown fox jumps over the lazy dog", &format!("sha256={sig}")));
        assert!(!verify_body("key", b"The quick brown fox jumps over the lazy cat", &format!("sha256={sig}")));
        assert!(!verify_body("other", b"The quick brown fox jumps over the lazy dog", &format!("sha256={sig}")));
        assert!(!verify_body("key", b"x", &sig), "the sha256= prefix is required");
    }

    #[test]
    fn signatures_bind_customer_and_survey() {
        let key = b"secret";
        let sig = sign_customer(key, "nps", "cust-1");
        assert_eq!(sig.len(), 32);
        assert!(verify_customer(key, "nps", "cust-1", &sig));
        assert!(!verify_customer(key, "nps", "cust-2", &sig));
        assert!(!verify_customer(key, "csat", "cust-1", &sig));
        assert!(!verify_customer(b"other", "nps", "cust-1", &sig));
        assert!(!verify_customer(key, "nps", "", &sign_customer(key, "nps", "")));
    }

    #[test]
    fn hex_and_hashes_are_stable() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("abc", "ab"));
    }
}
