"""Satisfaction surveys: the questionnaire (Survey, Question), the link sent for one closed
ticket (Invitation) and what the customer answered (Response, Answer).

The link's secret is never stored: the invitation keeps its SHA-256 (like a password reset
token), so a database leak gives no working links. A response is tied to its invitation
(one-to-one), so one invitation can be answered once and edited until it expires. The headline
figures of a response (rating 1-5, NPS 0-10, the comment) are copied onto it when it is saved
so the reports read one table with set-based SQL.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    title = models.CharField(_("title shown to the customer"), max_length=255)
    intro = models.TextField(_("introduction"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(
        _("sent after closing"), default=False, help_text=_("The survey the “send survey” automation sends.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="survey_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–5")
        TEXT = "text", _("Free text")
        NPS = "nps", _("NPS 0–10")
        CHOICE = "choice", _("Single choice")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("Single choice: one option per line."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["survey", "order", "id"]
        verbose_name = _("question")

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="survey_invitation")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_invitations"
    )
    email = models.EmailField(_("sent to"))
    channel = models.CharField(_("channel"), max_length=16, default="email")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("survey invitation")
        indexes = [
            models.Index(fields=["contact", "-sent_at"], name="survey_inv_contact"),
            models.Index(fields=["email", "-sent_at"], name="survey_inv_email"),
            models.Index(fields=["sent_at"], name="survey_inv_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → #{self.ticket_id}"


class Response(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    nps = models.PositiveSmallIntegerField(
        _("NPS score"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("survey response")
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="survey_rating_1_5"),
            models.CheckConstraint(condition=Q(nps__isnull=True) | Q(nps__lte=10), name="survey_nps_0_10"),
        ]

    def __str__(self) -> str:
        return f"#{self.invitation.ticket_id}: {self.rating or '—'}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.SmallIntegerField(_("number"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once")]

    def __str__(self) -> str:
        return f"{self.question}: {self.number if self.number is not None else self.text}"


SURVEY_SETTINGS_DEFAULTS = {
    "SURVEY_COOLDOWN_DAYS": 7,
    "SURVEY_VALID_DAYS": 28,
    "SURVEY_SKIP_AUTO_CLOSED": True,
    "SURVEY_ALARM_AVERAGE": 3.5,
    "SURVEY_ALARM_NPS": 20,
    "SURVEY_ALARM_WINDOW_DAYS": 30,
}


def survey_setting(name: str) -> object:
    """Return a surveys setting (HELPDESK_<name> in settings, else the default)."""
    return getattr(settings, f"HELPDESK_{name}", SURVEY_SETTINGS_DEFAULTS[name])
