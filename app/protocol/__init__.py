"""The sync protocol between station and central: plain functions over plain data.

Request signing, receipts, signed statements and the USB bundle format live
here, used by both sides. Nothing here touches Flask or the database.
"""
