"""The synthetic bank: `generate_bank` writes a folder of card-system extracts (CONTRACT.md)."""

from warehouse.demo.bank import GenerateSummary, generate_bank

__all__ = ["GenerateSummary", "generate_bank"]
