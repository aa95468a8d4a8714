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
]
