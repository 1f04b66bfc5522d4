"""Canonical bytes, Ed25519 keys and signatures, the keystore and the signed envelope."""
