"""The agent inbox under /staff/whatsapp/."""

from django.urls import path

from whatsapp.views import inbox

app_name = "whatsapp_inbox"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("<int:pk>/", inbox.conversation_detail, name="conversation"),
    path("<int:pk>/reply/", inbox.reply, name="reply"),
    path("<int:pk>/template/", inbox.send_template, name="template"),
    path("<int:pk>/quick-replies/", inbox.quick_replies, name="quick_replies"),
    path("<int:pk>/quick-replies/<int:reply_pk>/use/", inbox.use_quick_reply, name="use_quick_reply"),
    path("<int:pk>/assign/", inbox.assign, name="assign"),
    path("<int:pk>/status/", inbox.change_status, name="status"),
    path("<int:pk>/ticket/", inbox.create_ticket, name="create_ticket"),
    path("media/<int:pk>/", inbox.media_file, name="media"),
]
