from .plans import KeyAccount, PlanAction, PlanReview, PlanStatus, PlanVersion, TerritoryPlan
from .quotas import QuotaAllocation, QuotaLine
from .scenarios import Scenario, ScenarioMove, ScenarioStatus
from .territories import AccountSettings, SellerProfile, Territory, TerritoryAssignment

__all__ = [
    "AccountSettings",
    "KeyAccount",
    "PlanAction",
    "PlanReview",
    "PlanStatus",
    "PlanVersion",
    "QuotaAllocation",
    "QuotaLine",
    "Scenario",
    "ScenarioMove",
    "ScenarioStatus",
    "SellerProfile",
    "Territory",
    "TerritoryAssignment",
    "TerritoryPlan",
]
