"""ODK Collect phones against the station (docs/odk.md). Modules, imported by name:

- :mod:`.keys`         the station's RSA key pair that phones encrypt submissions to
- :mod:`.phones`       who a phone's request is: HTTP Basic against the station's accounts
- :mod:`.forms`        the published questionnaires as XForms, and the form list
- :mod:`.submissions`  an encrypted submission opened in memory and made a finalised record
- :mod:`.settings`     the settings QR code that sets up Collect on a phone
"""
