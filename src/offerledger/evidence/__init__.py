"""Evidence bundles: what an outsider who trusts neither us nor our database can check.

:func:`export_bundle` writes one (:mod:`.export` describes the layout); :func:`check_bundle`
runs the standalone verifier (:mod:`offerledger.offerledger_verify`) on it and also rebuilds
every projection from its events with this package's projections.
"""

from offerledger.evidence.check import BundleCheck, check_bundle
from offerledger.evidence.export import BundleSummary, EvidenceRefused, export_bundle

__all__ = ["BundleCheck", "BundleSummary", "EvidenceRefused", "check_bundle", "export_bundle"]
