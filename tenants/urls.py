"""Every route of the tenants app, with its rows of the authorization table."""

from django.urls import path

from common.access import Audience, RouteAccess, Scope
from tenants import members_api, onboarding_api, platform_api, two_factor_api, views

ANYONE, SIGNED_IN = Audience.ANYONE, Audience.AUTHENTICATED

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    *members_api.urlpatterns,
    *two_factor_api.urlpatterns,
    *platform_api.urlpatterns,
    *onboarding_api.urlpatterns,
]

ROUTES = {
    "auth-register": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-login": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-refresh": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-logout": RouteAccess(Scope.PUBLIC, {"POST": ANYONE}),
    "auth-password-change": RouteAccess(Scope.PUBLIC, {"POST": SIGNED_IN}),
    "auth-me": RouteAccess(Scope.PUBLIC, {"GET": SIGNED_IN}),
    **members_api.ROUTES,
    **two_factor_api.ROUTES,
    **platform_api.ROUTES,
    **onboarding_api.ROUTES,
}
