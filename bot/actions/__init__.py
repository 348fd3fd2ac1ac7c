"""Custom actions of the assistant, served by the rasa-sdk action server (`rasa_sdk --actions bot.actions`)."""

from bot.actions.booking import ActionBookMeeting
from bot.actions.clarify import ASK_ACTIONS
from bot.actions.early_answers import ValidateEarlyAnswersAndCorrections
from bot.actions.forms import ValidateContactForm, ValidateQualificationForm
from bot.actions.qualify import ActionQualifyLead
from bot.actions.side import (
    ActionBeginContact,
    ActionExplainWhy,
    ActionGreetIfFirst,
    ActionHumanHandoff,
    ActionOpenQualification,
    ActionStopConversation,
)

__all__ = [
    "ASK_ACTIONS",
    "ActionBeginContact",
    "ActionBookMeeting",
    "ActionExplainWhy",
    "ActionGreetIfFirst",
    "ActionHumanHandoff",
    "ActionOpenQualification",
    "ActionQualifyLead",
    "ActionStopConversation",
    "ValidateContactForm",
    "ValidateEarlyAnswersAndCorrections",
    "ValidateQualificationForm",
]
