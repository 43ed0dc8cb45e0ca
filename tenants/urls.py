"""Every route of the tenants app, with its rows of the authorization table."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, OWNERS, Audience, RouteAccess, Scope
from tenants.accounts import views as accounts
from tenants.members import views as members
from tenants.orgs import views as orgs
from tenants.platform import views as platform

ANYONE, SIGNED_IN = Audience.ANYONE, Audience.AUTHENTICATED

urlpatterns = [
    # Sign-up, sign-in and tokens
    path("auth/register/", accounts.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", accounts.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", accounts.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", accounts.LogoutView.as_view(), name="auth-logout"),
    path("auth/password/change/", accounts.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/me/", accounts.MeView.as_view(), name="auth-me"),
    # The org, its members, invitations, API keys and audit log
    path("org/", orgs.OrgView.as_view(), name="org"),
    path("org/logo/", orgs.OrgLogoView.as_view(), name="org-logo"),
    path("org/transfer-ownership/", members.OwnershipTransferView.as_view(), name="org-transfer-ownership"),
    path("org/delete/", orgs.OrgDeletionView.as_view(), name="org-delete"),
    path("org/leave/", members.LeaveView.as_view(), name="org-leave"),
    path("orgs/<uuid:org_id>/deletion/cancel/", orgs.OrgDeletionCancelView.as_view(), name="org-deletion-cancel"),
    path("org/members/", members.MemberListView.as_view(), name="members"),
    path("org/members/<uuid:profile_id>/", members.MemberDetailView.as_view(), name="member-detail"),
    path(
        "org/members/<uuid:profile_id>/deactivate/",
        members.MemberDeactivateView.as_view(),
        name="member-deactivate",
    ),
    path(
        "org/members/<uuid:profile_id>/reactivate/",
        members.MemberReactivateView.as_view(),
        name="member-reactivate",
    ),
    path("org/members/<uuid:profile_id>/remove/", members.MemberRemoveView.as_view(), name="member-remove"),
    path("org/members/<uuid:profile_id>/reassign/", members.MemberReassignView.as_view(), name="member-reassign"),
    path("org/invitations/", members.InvitationListView.as_view(), name="invitations"),
    path(
        "org/invitations/<uuid:invitation_id>/resend/",
        members.InvitationResendView.as_view(),
        name="invitation-resend",
    ),
    path(
        "org/invitations/<uuid:invitation_id>/revoke/",
        members.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path("invitations/preview/", members.InvitationPreviewView.as_view(), name="invitation-preview"),
    path("invitations/accept/", members.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("invitations/accept-new/", members.InvitationAcceptNewView.as_view(), name="invitation-accept-new"),
    path("org/api-keys/", members.ApiKeyListView.as_view(), name="api-keys"),
    path("org/api-keys/<uuid:key_id>/revoke/", members.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("org/audit/", orgs.AuditListView.as_view(), name="org-audit"),
    # Two-factor authentication
    path("auth/2fa/", accounts.TwoFactorStatusView.as_view(), name="auth-2fa"),
    path("auth/2fa/enrol/", accounts.TwoFactorEnrolView.as_view(), name="auth-2fa-enrol"),
    path("auth/2fa/qr.png", accounts.TwoFactorQrView.as_view(), name="auth-2fa-qr"),
    path("auth/2fa/confirm/", accounts.TwoFactorConfirmView.as_view(), name="auth-2fa-confirm"),
    path("auth/2fa/disable/", accounts.TwoFactorDisableView.as_view(), name="auth-2fa-disable"),
    path(
        "auth/2fa/recovery-codes/", accounts.TwoFactorRecoveryCodesView.as_view(), name="auth-2fa-recovery-codes"
    ),
    path("auth/login/2fa/", accounts.TwoFactorLoginView.as_view(), name="auth-login-2fa"),
    # Platform administration
    path("platform/orgs/", platform.PlatformOrgListView.as_view(), name="platform-orgs"),
    path("platform/orgs/<uuid:org_id>/", platform.PlatformOrgDetailView.as_view(), name="platform-org-detail"),
    path(
        "platform/orgs/<uuid:org_id>/members/",
        platform.PlatformOrgMembersView.as_view(),
        name="platform-org-members",
    ),
    path(
        "platform/orgs/<uuid:org_id>/suspend/",
        platform.PlatformOrgSuspendView.as_view(),
        name="platform-org-suspend",
    ),
    path(
        "platform/orgs/<uuid:org_id>/reactivate/",
        platform.PlatformOrgReactivateView.as_view(),
        name="platform-org-reactivate",
    ),
    path(
        "platform/orgs/<uuid:org_id>/delete/",
        platform.PlatformOrgDeleteView.as_view(),
        name="platform-org-delete",
    ),
    path(
        "platform/orgs/<uuid:org_id>/delete/cancel/",
        platform.PlatformOrgDeleteCancelView.as_view(),
        name="platform-org-delete-cancel",
    ),
    path(
        "platform/orgs/<uuid:org_id>/impersonate/",
        platform.PlatformOrgImpersonateView.as_view(),
        name="platform-org-impersonate",
    ),
    path("platform/users/", platform.PlatformUserListView.as_view(), name="platform-users"),
    path("platform/users/<uuid:user_id>/", platform.PlatformUserDetailView.as_view(), name="platform-user-detail"),
    path(
        "platform/users/<uuid:user_id>/deactivate/",
        platform.PlatformUserDeactivateView.as_view(),
        name="platform-user-deactivate",
    ),
    path(
        "platform/users/<uuid:user_id>/reactivate/",
        platform.PlatformUserReactivateView.as_view(),
        name="platform-user-reactivate",
    ),
    path("platform/audit/", platform.PlatformAuditListView.as_view(), name="platform-audit"),
    # Email verification and password reset
    path("auth/email/verify/", accounts.EmailVerifyView.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend/", accounts.EmailVerifyResendView.as_view(), name="auth-email-verify-resend"),
    path("auth/password/reset/", accounts.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        accounts.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]

# Platform admins only: the route table's permission answers 404 to everyone else, signed in or not.
_PLATFORM_READ = RouteAccess(Scope.PLATFORM, {"GET": SIGNED_IN})
_PLATFORM_WRITE = RouteAccess(Scope.PLATFORM, {"POST": SIGNED_IN})

ROUTES = {
    "auth-register": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-login": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-refresh": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-logout": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-password-change": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-me": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    "org": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "org-logo": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PUT": ADMINS, "DELETE": ADMINS}),
    "org-transfer-ownership": RouteAccess(Scope.TENANT, {"POST": OWNERS}),
    "org-delete": RouteAccess(Scope.TENANT, {"POST": OWNERS}),
    "org-leave": RouteAccess(Scope.TENANT, {"POST": ALL_ROLES}),
    "org-deletion-cancel": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}, reason="the service checks ownership"),
    "members": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "member-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "member-deactivate": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-reactivate": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-remove": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "member-reassign": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitations": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "invitation-resend": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitation-revoke": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "invitation-preview": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "invitation-accept": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "invitation-accept-new": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "api-keys": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "api-key-revoke": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    "org-audit": RouteAccess(Scope.TENANT, {"GET": ADMINS}),
    # Public scope on purpose: a member of an org that requires 2FA must reach these to enrol.
    "auth-2fa": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    "auth-2fa-enrol": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-qr": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    "auth-2fa-confirm": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-disable": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-2fa-recovery-codes": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-login-2fa": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}, reason="the challenge in the body is the proof"),
    "platform-orgs": _PLATFORM_READ,
    "platform-org-detail": RouteAccess(Scope.PLATFORM, {"GET": SIGNED_IN, "PATCH": SIGNED_IN}),
    "platform-org-members": _PLATFORM_READ,
    "platform-org-suspend": _PLATFORM_WRITE,
    "platform-org-reactivate": _PLATFORM_WRITE,
    "platform-org-delete": _PLATFORM_WRITE,
    "platform-org-delete-cancel": _PLATFORM_WRITE,
    "platform-org-impersonate": _PLATFORM_WRITE,
    "platform-users": _PLATFORM_READ,
    "platform-user-detail": _PLATFORM_READ,
    "platform-user-deactivate": _PLATFORM_WRITE,
    "platform-user-reactivate": _PLATFORM_WRITE,
    "platform-audit": _PLATFORM_READ,
    "auth-email-verify": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-email-verify-resend": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-password-reset": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-password-reset-confirm": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
}
