"""Integrity of the ledger: the RFC 9162 Merkle log, proofs and C2SP checkpoints."""
