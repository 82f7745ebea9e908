"""The synthetic bank: `generate_bank` writes a folder of card-system extracts (CONTRACT.md)."""

from warehouse.demo.bank import GenerateSummary, generate_bank
from warehouse.demo.treatments import Challenger

__all__ = ["Challenger", "GenerateSummary", "generate_bank"]
