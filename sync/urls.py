from django.urls import path

from sync import views

urlpatterns = [
    path("", views.index, name="sync"),
    path("all/", views.sync_all, name="sync_all"),
    path("history/", views.history, name="sync_history"),
    path("bases/add/", views.base_add, name="sync_base_add"),
    path("bases/add-liked-songs/", views.base_add_liked, name="sync_base_add_liked"),
    path("bases/<int:pk>/", views.base_detail, name="sync_base"),
    path("bases/<int:pk>/sync/", views.base_sync, name="sync_base_run"),
    path("bases/<int:pk>/schedule/", views.base_schedule, name="sync_base_schedule"),
    path("bases/<int:pk>/delete/", views.base_delete, name="sync_base_delete"),
    path("bases/<int:pk>/restore/", views.base_restore, name="sync_base_restore"),
    path("bases/<int:pk>/children/add/", views.child_add, name="sync_child_add"),
    path(
        "bases/<int:pk>/children/from-template/",
        views.child_from_template,
        name="sync_child_from_template",
    ),
    path("children/<int:pk>/", views.child_detail, name="sync_child"),
    path("children/<int:pk>/editor/", views.child_editor, name="sync_child_editor"),
    path("children/<int:pk>/preview/", views.child_preview, name="sync_child_preview"),
    path("children/<int:pk>/overwrite/", views.child_overwrite, name="sync_child_overwrite"),
    path("children/<int:pk>/delete/", views.child_delete, name="sync_child_delete"),
    path("children/<int:pk>/restore/", views.child_restore, name="sync_child_restore"),
    path("events/<int:pk>/", views.event_detail, name="sync_event"),
    path("events/<int:pk>/retry/", views.event_retry, name="sync_event_retry"),
]
