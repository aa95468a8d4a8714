from django.urls import path

from enforcement import views

# Un-namespaced: base.html links to "blocklist".
urlpatterns = [
    path("", views.index, name="blocklist"),
    path("add/", views.add_links, name="blocklist_add"),
    path("block/", views.block, name="blocklist_block"),
    path("search/", views.search, name="blocklist_search"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="blocklist_entry_delete"),
    path("entries/<int:pk>/featured/", views.entry_featured, name="blocklist_entry_featured"),
    path("allow/", views.allow_add, name="blocklist_allow_add"),
    path("allow/<int:pk>/delete/", views.allow_delete, name="blocklist_allow_delete"),
    path("kept/<int:pk>/delete/", views.kept_delete, name="blocklist_kept_delete"),
    path("preferences/", views.preferences, name="blocklist_preferences"),
    path("lists/<int:pk>/export.<str:fmt>", views.export, name="blocklist_export"),
    path("lists/<int:pk>/delete/", views.list_delete, name="blocklist_list_delete"),
    path("lists/<int:pk>/restore/", views.list_restore, name="blocklist_list_restore"),
    path("lists/<int:pk>/toggle/", views.list_toggle, name="blocklist_list_toggle"),
    path("import/", views.import_upload, name="blocklist_import"),
    path("import/<int:pk>/", views.import_review, name="blocklist_import_review"),
    path("plan/", views.make_plan, name="enforcement_plan"),
    path("batches/", views.history, name="enforcement_history"),
    path("batches/<int:pk>/", views.batch_detail, name="enforcement_batch"),
    path("batches/<int:pk>/progress/", views.progress, name="enforcement_progress"),
    path("batches/<int:pk>/select/", views.select, name="enforcement_select"),
    path("batches/<int:pk>/execute/", views.execute_view, name="enforcement_execute"),
    path("batches/<int:pk>/discard/", views.discard, name="enforcement_discard"),
    path("batches/<int:pk>/rollback/", views.rollback_view, name="enforcement_rollback"),
    path("batches/<int:pk>/resume/", views.resume_view, name="enforcement_resume"),
]
