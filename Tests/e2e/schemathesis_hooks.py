"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) in test_api_contract.py: tus chunks are raw bytes
with tus's own media type, which schemathesis does not know how to put on the wire."""
import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/offset+octet-stream")
def tus_chunk(ctx, value):
    return serialize_binary(value)
