"""Carriers: book return shipments and get their labels.

The protocol and value types live in `domain.carrier`; adapters in their own modules (`local`, …), imported
by whoever wires the services so that ReportLab or an HTTP client loads only when that carrier is used.
"""
