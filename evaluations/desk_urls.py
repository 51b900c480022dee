"""The desk's pages for evaluation versions, mounted under /desk/ by config.urls."""

from __future__ import annotations

from django.urls import path

from evaluations import desk_views as views
from evaluations import double_desk_views

urlpatterns = [
    path("", views.dashboard, name="desk-dashboard"),
    path("cases/<int:case_pk>/evaluate/", views.evaluation_start, name="desk-evaluation-start"),
    path("cases/<int:case_pk>/compare/", views.version_compare, name="desk-compare"),
    path("cases/<int:case_pk>/history/", views.case_history, name="desk-history"),
    path("versions/<int:pk>/", views.version_detail, name="desk-version"),
    path("versions/<int:pk>/edit/", views.version_edit, name="desk-version-edit"),
    path("versions/<int:pk>/saved.json", views.version_saved, name="desk-version-saved"),
    path("versions/<int:pk>/submit/", views.version_submit, name="desk-version-submit"),
    path("versions/<int:pk>/send-back/", views.version_send_back, name="desk-version-send-back"),
    path("versions/<int:pk>/approve/", views.version_approve, name="desk-version-approve"),
    path("versions/<int:pk>/revisions/", views.version_revisions, name="desk-version-revisions"),
    path("versions/<int:pk>/revisions/compare/", views.revision_compare, name="desk-revision-compare"),
    path("versions/<int:pk>/revisions/<int:number>/restore/", views.revision_restore, name="desk-revision-restore"),
    path("versions/<int:pk>/reschedule/", views.version_reschedule, name="desk-version-reschedule"),
    path("versions/<int:pk>/unschedule/", views.version_unschedule, name="desk-version-unschedule"),
    path("versions/<int:pk>/preview/", views.version_preview, name="desk-version-preview"),
    path("versions/<int:pk>/rebase/", views.version_rebase, name="desk-version-rebase"),
    path("versions/<int:pk>/annotations/", views.annotation_add, name="desk-annotation-add"),
    path("versions/<int:pk>/double-scoring/", double_desk_views.double_scoring, name="desk-double-scoring"),
    path("reconciliation/", double_desk_views.reconciliation_queue, name="desk-reconciliation"),
    path("annotations/<int:pk>/delete/", views.annotation_delete, name="desk-annotation-delete"),
    path("versions/<int:pk>/withdraw/", views.version_withdraw, name="desk-version-withdraw"),
    path("versions/<int:pk>/discard/", views.version_discard, name="desk-version-discard"),
    path("versions/<int:pk>/reviewers/", views.version_assign, name="desk-version-assign"),
    path("versions/<int:pk>/comments/", views.review_comment_add, name="desk-review-comment-add"),
    path("comments/<int:pk>/reply/", views.review_comment_reply, name="desk-review-comment-reply"),
    path("comments/<int:pk>/resolve/", views.review_comment_resolve, name="desk-review-comment-resolve"),
    path("notifications/", views.notifications, name="desk-notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="desk-notification-read"),
    path("notifications/read/", views.notifications_read_all, name="desk-notifications-read-all"),
]
