"""How the role matrix calls the account routes of the tenants app (two-factor authentication)."""

from common.testing.matrix import Call

MATRIX_SPECS = {
    "api:auth-2fa": {"GET": Call()},
    "api:auth-2fa-enrol": {"POST": Call()},
    "api:auth-2fa-qr": {"GET": Call(status=404)},  # nothing pending yet: reachable, nothing to show
    "api:auth-2fa-confirm": {"POST": Call(status=409, body={"code": "123456"})},
    "api:auth-2fa-disable": {"POST": Call(status=409, body={"code": "123456"})},
    "api:auth-2fa-recovery-codes": {"POST": Call(status=409, body={"code": "123456"})},
}
