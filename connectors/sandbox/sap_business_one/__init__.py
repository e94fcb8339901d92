"""SAP Business One Service Layer (v1, OData) simulator: `build_sap_business_one` in `simulator`."""
