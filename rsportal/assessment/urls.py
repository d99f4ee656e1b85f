from django.urls import path

from . import meeting_views, views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("utlysning/<int:pk>/", views.call_overview, name="call"),
    path("utlysning/<int:pk>/prioritering/<slug:code>/", views.prioritise, name="prioritise"),
    path("utlysning/<int:pk>/habilitet/", views.conflicts, name="conflicts"),
    path("utlysning/<int:pk>/habilitet/sjekk/", views.conflicts_detect, name="conflicts-detect"),
    path("habilitet/<int:pk>/avgjor/", views.conflict_decide, name="conflict-decide"),
    path("utlysning/<int:pk>/rangering/", views.ranking_page, name="ranking"),
    path("utlysning/<int:pk>/rangering.xlsx", views.ranking_xlsx, name="ranking-xlsx"),
    path("utlysning/<int:pk>/mote/", views.meeting_new, name="meeting-new"),
    path("utlysning/<int:pk>/logg/", views.audit, name="audit"),
    path("soknad/<int:pk>/formell-kontroll/", views.formal_check, name="formal-check"),
    path("soknad/<int:pk>/poeng/", views.score, name="score"),
    path("mote/<int:pk>/", views.meeting_detail, name="meeting"),
    path("mote/<int:pk>/leder/", views.meeting_chair, name="chair"),
    path("mote/<int:pk>/oppmote/", meeting_views.attendance, name="attendance"),
    path("mote/<int:pk>/protokoll.pdf", views.minutes_pdf, name="minutes-pdf"),
    path("mote/<int:pk>/protokoll/godkjenn/", meeting_views.approve_minutes, name="minutes-approve"),
    path("sak/<int:pk>/start/", views.item_start, name="item-start"),
    path("sak/<int:pk>/avslutt/", views.item_end, name="item-end"),
    path("sak/<int:pk>/forslag/", views.decision_propose, name="decision-propose"),
    path("vedtak/<int:pk>/stem/", views.vote, name="vote"),
    path("vedtak/<int:pk>/avslutt/", views.decision_conclude, name="decision-conclude"),
    path("vedtak/<int:pk>/trekk/", views.decision_withdraw, name="decision-withdraw"),
    path("vedtak/<int:pk>/brev.pdf", views.letter_pdf, name="letter-pdf"),
]
