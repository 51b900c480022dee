from __future__ import annotations

from django.urls import path

from alerts import views

urlpatterns = [
    path("alerts/", views.subscribe, name="alerts-subscribe"),
    path("alerts/confirm/<str:token>/", views.confirm, name="alerts-confirm"),
    path("alerts/preferences/<str:token>/", views.preferences, name="alerts-preferences"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts-unsubscribe"),
]
