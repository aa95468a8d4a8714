from django.urls import path

from archive import views

# Un-namespaced names: base.html links to "history".
urlpatterns = [
    path("", views.overview, name="history"),
    path("stats/", views.stats_page, name="history_stats"),
    path("check-now/", views.check_now, name="history_check_now"),
    path("time-zone/", views.time_zone, name="history_time_zone"),
    path("import/", views.import_page, name="history_import"),
    path("import/<int:pk>/", views.import_job, name="history_import_job"),
    path("import/unmatched/", views.unmatched, name="history_unmatched"),
    path("export/", views.export_page, name="history_export"),
    path("rewind/", views.rewind_page, name="history_rewind"),
    path("rewind/<int:year>/", views.rewind_page, name="history_rewind_year"),
    path("rewind/<int:year>/<int:month>/", views.rewind_page, name="history_rewind_month"),
    path("rewind/<int:year>/share/", views.rewind_share, name="history_rewind_share"),
    path(
        "rewind/<int:year>/<int:month>/share/",
        views.rewind_share,
        name="history_rewind_share_month",
    ),
    path("rewind/links/<int:pk>/revoke/", views.rewind_revoke, name="history_rewind_revoke"),
    path(
        "artists/<str:subject_id>/", views.drilldown_page, {"kind": "artist"}, name="history_artist"
    ),
    path("albums/<str:subject_id>/", views.drilldown_page, {"kind": "album"}, name="history_album"),
    path("tracks/<str:subject_id>/", views.drilldown_page, {"kind": "track"}, name="history_track"),
]
