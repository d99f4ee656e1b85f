from django.urls import path

from . import thread_views, views

app_name = "applications"
urlpatterns = [
    path("", views.my_applications, name="mine"),
    path("utlysninger/", views.call_list, name="call-list"),
    path("utlysninger/<int:pk>/", views.call_detail, name="call-detail"),
    path("utlysninger/<int:pk>/ny-soknad/", views.application_start, name="start"),
    path("utlysninger/<int:pk>/prosjekter/<int:project_pk>/delta/", views.join_request, name="join"),
    path("<int:pk>/", views.application_edit, name="edit"),
    path("<int:pk>/del/<slug:section>/", views.section_save, name="section-save"),
    path("<int:pk>/deltakere/", views.participant_add, name="participant-add"),
    path("<int:pk>/deltakere/<int:item>/fjern/", views.participant_remove, name="participant-remove"),
    path("<int:pk>/budsjett/", views.budget_add, name="budget-add"),
    path("<int:pk>/budsjett/<int:item>/fjern/", views.budget_remove, name="budget-remove"),
    path("<int:pk>/nytte/", views.benefit_add, name="benefit-add"),
    path("<int:pk>/nytte/<int:item>/fjern/", views.benefit_remove, name="benefit-remove"),
    path("<int:pk>/vedlegg/", views.attachment_add, name="attachment-add"),
    path("<int:pk>/vedlegg/<int:item>/fjern/", views.attachment_remove, name="attachment-remove"),
    path("vedlegg/<str:token>/", views.attachment_download, name="attachment-download"),
    path("<int:pk>/send-inn/", views.application_submit, name="submit"),
    path("<int:pk>/vis/", views.application_detail, name="detail"),
    path("<int:pk>/versjon/<int:number>/", views.application_detail, name="version"),
    path("<int:pk>/apne-for-revisjon/", views.application_reopen, name="reopen"),
    path("<int:pk>/trekk/", views.application_withdraw, name="withdraw"),
    path("<int:pk>/samtale/", thread_views.thread_page, name="thread"),
    path("<int:pk>/samtale/inviter-sekretariatet/", thread_views.invite, name="thread-invite"),
    path("<int:pk>/samtale/trekk-invitasjonen/", thread_views.withdraw_invitation, name="thread-withdraw"),
]
