"""Custom actions of the assistant, served by the rasa-sdk action server (`rasa_sdk --actions bot.actions`)."""

from bot.actions.forms import ValidateContactForm, ValidateQualificationForm
from bot.actions.qualify import ActionQualifyLead
from bot.actions.side import ActionExplainWhy, ActionGreetIfFirst, ActionHumanHandoff, ActionStopConversation

__all__ = [
    "ActionExplainWhy",
    "ActionGreetIfFirst",
    "ActionHumanHandoff",
    "ActionQualifyLead",
    "ActionStopConversation",
    "ValidateContactForm",
    "ValidateQualificationForm",
]
