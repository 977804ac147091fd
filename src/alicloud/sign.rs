//! Request signing (V2 `HMAC-SHA1` and V3 `ACS3-HMAC-SHA256`) as pure functions.
