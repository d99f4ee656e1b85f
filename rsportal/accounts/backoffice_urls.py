from django.urls import path

from . import backoffice as views

app_name = "people"
urlpatterns = [
    path("", views.RoleList.as_view(), name="list"),
    path("roller/<int:pk>/", views.RoleDetail.as_view(), name="role-detail"),
    path("roller/<int:pk>/avslutt/", views.RoleEnd.as_view(), name="role-end"),
    path("roller/<int:pk>/historikk/", views.RoleHistory.as_view(), name="role-history"),
    path("invitasjoner/", views.InvitationList.as_view(), name="invitations"),
    path("invitasjoner/<int:pk>/trekk/", views.InvitationWithdraw.as_view(), name="invitation-withdraw"),
    path("inviter/", views.Invite.as_view(), name="invite"),
    path("foresporsler/", views.RequestList.as_view(), name="requests"),
    path("foresporsler/<int:pk>/", views.RequestDecide.as_view(), name="request-decide"),
    path("varseladresser/", views.NoticeAddressList.as_view(), name="notice-addresses"),
    path("varseladresser/<int:pk>/", views.NoticeAddressUpdate.as_view(), name="notice-address-update"),
]
