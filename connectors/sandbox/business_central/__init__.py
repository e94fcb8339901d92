"""Microsoft Dynamics 365 Business Central (API v2.0 behind an Entra ID token endpoint) and Dynamics NAV (OData v4
web services behind HTTP Digest or Basic), in one simulator; see `simulator`."""
