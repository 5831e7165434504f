from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from surveys import actions, tasks  # noqa: F401  (task registry)
        from surveys.queries import report_figures
        from tickets.automation.registry import register_action
        from tickets.reports.sources import register_survey_source

        register_action("send_survey", _("Send the satisfaction survey"), run=actions.run_send_survey,
                        validate=actions.validate_send_survey, params=[])
        register_survey_source(report_figures, results_url="/staff/surveys/")
        # Each answer is written on the client's Activity tab (surveys.services.submit_response).
        from crm import activity

        activity.register_kind("survey", _("Survey answer"))
