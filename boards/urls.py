"""Routes of boards, columns, swimlanes, labels, cards, checklists, recurring cards, templates and board views,
with their rows of the authorization table. Board roles narrow these further (boards.access)."""

from django.urls import path

from boards import views
from common.access import ALL_ROLES, WRITERS, RouteAccess, Scope

urlpatterns = [
    path("boards/", views.BoardListView.as_view(), name="boards"),
    path("boards/from-template/", views.BoardFromTemplateView.as_view(), name="board-from-template"),
    path("board-templates/", views.BoardTemplatesView.as_view(), name="board-templates"),
    path("boards/<uuid:board_id>/", views.BoardDetailView.as_view(), name="board-detail"),
    path("boards/<uuid:board_id>/restore/", views.BoardRestoreView.as_view(), name="board-restore"),
    path("boards/<uuid:board_id>/members/", views.BoardMembersView.as_view(), name="board-members"),
    path(
        "boards/<uuid:board_id>/members/<uuid:profile_id>/",
        views.BoardMemberDetailView.as_view(),
        name="board-member-detail",
    ),
    path("boards/<uuid:board_id>/columns/", views.BoardColumnsView.as_view(), name="board-columns"),
    path("boards/<uuid:board_id>/swimlanes/", views.BoardSwimlanesView.as_view(), name="board-swimlanes"),
    path("boards/<uuid:board_id>/labels/", views.BoardLabelsView.as_view(), name="board-labels"),
    path("boards/<uuid:board_id>/cards/", views.BoardCardsView.as_view(), name="board-cards"),
    path("boards/<uuid:board_id>/recurring-cards/", views.BoardRecurringView.as_view(), name="board-recurring"),
    path("boards/<uuid:board_id>/view/", views.BoardViewView.as_view(), name="board-view"),
    path("boards/<uuid:board_id>/view/move/", views.BoardViewMoveView.as_view(), name="board-view-move"),
    path("board-columns/<uuid:column_id>/", views.ColumnDetailView.as_view(), name="board-column-detail"),
    path(
        "board-columns/<uuid:column_id>/restore/", views.ColumnRestoreView.as_view(), name="board-column-restore"
    ),
    path("board-swimlanes/<uuid:swimlane_id>/", views.SwimlaneDetailView.as_view(), name="board-swimlane-detail"),
    path("board-labels/<uuid:label_id>/", views.LabelDetailView.as_view(), name="board-label-detail"),
    path("cards/<uuid:card_id>/", views.CardDetailView.as_view(), name="card-detail"),
    path("cards/<uuid:card_id>/move/", views.CardMoveView.as_view(), name="card-move"),
    path("cards/<uuid:card_id>/restore/", views.CardRestoreView.as_view(), name="card-restore"),
    path("cards/<uuid:card_id>/checklist/", views.CardChecklistView.as_view(), name="card-checklist"),
    path("cards/<uuid:card_id>/timeline/", views.CardTimelineView.as_view(), name="card-timeline"),
    path("checklist-items/<uuid:item_id>/", views.ChecklistItemView.as_view(), name="checklist-item-detail"),
    path(
        "recurring-cards/<uuid:recurring_id>/", views.RecurringDetailView.as_view(), name="recurring-card-detail"
    ),
]

_READ_WRITE = RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS})
_WRITE = RouteAccess(Scope.TENANT, {"POST": WRITERS})
_EDIT = RouteAccess(Scope.TENANT, {"PATCH": WRITERS, "DELETE": WRITERS})

ROUTES = {
    "boards": _READ_WRITE,
    "board-from-template": _WRITE,
    "board-templates": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "board-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "board-restore": _WRITE,
    "board-members": _READ_WRITE,
    "board-member-detail": RouteAccess(Scope.TENANT, {"DELETE": WRITERS}),
    "board-columns": _WRITE,
    "board-swimlanes": _WRITE,
    "board-labels": _READ_WRITE,
    "board-cards": _READ_WRITE,
    "board-recurring": _READ_WRITE,
    "board-view": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "board-view-move": _WRITE,
    "board-column-detail": _EDIT,
    "board-column-restore": _WRITE,
    "board-swimlane-detail": _EDIT,
    "board-label-detail": _EDIT,
    "card-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "card-move": _WRITE,
    "card-restore": _WRITE,
    "card-checklist": _WRITE,
    "card-timeline": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "checklist-item-detail": _EDIT,
    "recurring-card-detail": _EDIT,
}
