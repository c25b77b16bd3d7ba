"""Configuration from the environment (and `.env`). Names are part of the interface: see README.

A bad value stops the start with one line per problem (`bot.main.cli` prints them, exit status 2).
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

CARRIERS = ("local", "shipit", "postnord")
# what each carrier cannot work without (issue 14): a missing one is said at the start and by `doctor`
CARRIER_NEEDS = {"shipit": ("SHIPIT_API_KEY", "SHIPIT_SERVICE_ID"),
                 "postnord": ("POSTNORD_API_KEY", "POSTNORD_CUSTOMER_NUMBER")}  # fmt: skip
_COUNTRY_CARRIER = re.compile(r"([A-Za-z]{2})\s*:\s*(local|shipit|postnord)")
_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")


class ConfigError(Exception):
    """Raised with every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True)

    DATABASE_URL: str = "sqlite:///returnbot.db"
    SLACK_BOT_TOKEN: str = ""
    SLACK_APP_TOKEN: str = ""
    SLACK_SIGNING_SECRET: str = ""
    SLACK_API_URL: str = "https://slack.com/api/"
    STORE: Literal["local", "shopify"] = "local"
    SHOPIFY_SHOP: str = ""
    SHOPIFY_ACCESS_TOKEN: str = ""
    SHOPIFY_API_VERSION: str = "2026-07"
    SHOPIFY_ADMIN_URL: str = ""
    CARRIER: Literal["local", "shipit", "postnord"] = "local"
    # Carriers (issue 14): the carrier per customer country, e.g. FI:shipit,SE:postnord,DK:postnord
    CARRIER_BY_COUNTRY: str = ""
    SHIPIT_API_KEY: str = ""
    SHIPIT_API_SECRET: str = ""  # only for accounts that sign requests (X-SHIPIT-CHECKSUM)
    SHIPIT_API_URL: str = "https://api.shipit.ax/v1"  # the test host: https://apitest.shipit.ax/v1
    SHIPIT_SERVICE_ID: str = ""  # the return service for drop-off, e.g. posti.2108 (your account's methods)
    SHIPIT_PICKUP_SERVICE_ID: str = ""  # the service for pickups from the customer; "" = no Shipit pickups
    # PostNord (issue 14b)
    POSTNORD_API_KEY: str = ""
    POSTNORD_API_URL: str = "https://api2.postnord.com"  # the test host: https://atapi2.postnord.com
    POSTNORD_CUSTOMER_NUMBER: str = ""  # the shop's PostNord customer number (its agreement)
    POSTNORD_ISSUER_CODE: str = ""  # Z11 DK, Z12 SE, Z13 NO, Z14 FI; "" = the RETURN_ADDRESS_COUNTRY's
    POSTNORD_PICKUP_MIN_KG: Decimal = Field(default=Decimal(20), gt=0)  # from this weight on, suggest a pickup
    RETURN_ADDRESS_NAME: str = "Returnbot Demo Warehouse"
    RETURN_ADDRESS_STREET: str = "Tehtaankatu 12"
    RETURN_ADDRESS_ZIP: str = "00140"
    RETURN_ADDRESS_CITY: str = "Helsinki"
    RETURN_ADDRESS_COUNTRY: str = "FI"
    RETURN_ADDRESS_PHONE: str = "+358 9 4242 4242"
    RETURN_ADDRESS_EMAIL: str = "returns@example.com"
    SMTP_URL: str = ""
    OUTBOX_DIR: Path = Path("outbox")
    APPROVALS_CHANNEL: str = ""
    APPROVER_USERGROUP: str = ""
    APPROVER_USER_IDS: str = ""
    REFUND_AUTO_APPROVE_LIMIT: Decimal = Field(default=Decimal(0), ge=0)
    # replacements worth up to this at list price need no team lead; unset: the refund limit
    REPLACEMENT_AUTO_APPROVE_LIMIT: Decimal | None = Field(default=None, ge=0)
    RETURN_REMINDER_DAYS: int = Field(default=14, gt=0)
    RETURN_ESCALATION_DAYS: int = Field(default=21, gt=0)
    RETURN_EXPIRY_DAYS: int = Field(default=30, gt=0)
    RETURN_CUSTOMER_REMINDER: bool = True
    ESCALATION_CHANNEL: str = ""  # default: APPROVALS_CHANNEL
    DIGEST_CHANNEL: str = ""  # default: the escalation channel
    DIGEST_TIME: str = "09:00"
    TIMEZONE: str = "Europe/Helsinki"
    TICK_SECONDS: int = Field(default=60, gt=0, le=3600)
    SHOP_COUNTRY: str = "FI"  # where a phone number written without a country code is read (040 123 4567)

    @field_validator("REPLACEMENT_AUTO_APPROVE_LIMIT", mode="before")
    @classmethod
    def _replacement_limit(cls, value: object) -> object:
        """Set but empty means unset: the refund limit applies."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL (e.g. sqlite:///returnbot.db or postgresql+psycopg://host/db)"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")
        return value

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, value: str) -> str:
        if value and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token (starts with xoxb-)")
        return value

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, value: str) -> str:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token (starts with xapp-) with connections:write")
        return value

    @field_validator("CARRIER_BY_COUNTRY")
    @classmethod
    def _carrier_by_country(cls, value: str) -> str:
        for part in (p.strip() for p in value.replace(";", ",").split(",")):
            if part and not _COUNTRY_CARRIER.fullmatch(part):
                raise ValueError(f"{part!r} is not COUNTRY:carrier (e.g. FI:shipit,SE:postnord; carriers {CARRIERS})")
        return value

    @field_validator("POSTNORD_ISSUER_CODE")
    @classmethod
    def _postnord_issuer(cls, value: str) -> str:
        code = value.strip().upper()
        if code and code not in ("Z11", "Z12", "Z13", "Z14", "ZDL"):
            raise ValueError(f"{value!r} is not a PostNord issuer code: Z11 (DK), Z12 (SE), Z13 (NO), Z14 (FI) or ZDL")
        return code

    @field_validator("SLACK_API_URL", "SHOPIFY_ADMIN_URL", "SHIPIT_API_URL", "POSTNORD_API_URL")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("SHOPIFY_SHOP")
    @classmethod
    def _shop(cls, value: str) -> str:
        value = value.strip().removeprefix("https://").rstrip("/")
        if value and not value.endswith(".myshopify.com"):
            raise ValueError("must be the shop's my-shop.myshopify.com domain")
        return value

    @field_validator("RETURN_EXPIRY_DAYS")
    @classmethod
    def _expiry_after_escalation(cls, value: int, info: ValidationInfo) -> int:
        escalation = info.data.get("RETURN_ESCALATION_DAYS")
        if isinstance(escalation, int) and value <= escalation:
            raise ValueError(f"must be after RETURN_ESCALATION_DAYS ({escalation}): the leads hear before it expires")
        return value

    @field_validator("DIGEST_TIME")
    @classmethod
    def _digest_time(cls, value: str) -> str:
        if not _CLOCK_TIME.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a time of day: write it as HH:MM, e.g. 09:00")
        return value.strip()

    @field_validator("TIMEZONE")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use a name like Europe/Helsinki") from None
        return value.strip()

    @field_validator("SHOP_COUNTRY")
    @classmethod
    def _shop_country(cls, value: str) -> str:
        import phonenumbers  # only here: the library's metadata is loaded on first use

        code = value.strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a country code: use two letters, like FI or SE")
        return code

    @model_validator(mode="after")
    def _needs(self) -> Settings:
        if self.STORE == "shopify" and not (self.SHOPIFY_SHOP or self.SHOPIFY_ADMIN_URL):
            raise ValueError("STORE=shopify needs SHOPIFY_SHOP (my-shop.myshopify.com)")
        if self.STORE == "shopify" and not self.SHOPIFY_ACCESS_TOKEN:
            raise ValueError("STORE=shopify needs SHOPIFY_ACCESS_TOKEN")
        if self.RETURN_ESCALATION_DAYS < self.RETURN_REMINDER_DAYS:
            raise ValueError("RETURN_ESCALATION_DAYS must not be before RETURN_REMINDER_DAYS")
        return self

    @property
    def slack_api_url(self) -> str:
        # slack_sdk joins method names onto the base URL: without the slash the last segment is lost
        return self.SLACK_API_URL if self.SLACK_API_URL.endswith("/") else self.SLACK_API_URL + "/"

    @property
    def shopify_admin_url(self) -> str:
        if self.SHOPIFY_ADMIN_URL:
            return self.SHOPIFY_ADMIN_URL
        return f"https://{self.SHOPIFY_SHOP}/admin/api/{self.SHOPIFY_API_VERSION}/graphql.json"

    @property
    def carrier_by_country(self) -> dict[str, str]:
        """CARRIER_BY_COUNTRY as {ISO-2 country: carrier}."""
        found = (_COUNTRY_CARRIER.fullmatch(p.strip()) for p in self.CARRIER_BY_COUNTRY.replace(";", ",").split(","))
        return {m[1].upper(): m[2] for m in found if m}

    @property
    def carriers_in_use(self) -> list[str]:
        """CARRIER first, then every other carrier CARRIER_BY_COUNTRY names."""
        return list(dict.fromkeys([self.CARRIER, *self.carrier_by_country.values()]))

    @property
    def carrier_problem(self) -> str:
        """Why the carriers in use cannot be used ("" when they can): `doctor` says it, as the start refuses it."""
        problems = []
        for carrier in self.carriers_in_use:
            missing = [name for name in CARRIER_NEEDS.get(carrier, ()) if not str(getattr(self, name, "")).strip()]
            if missing:
                problems.append(f"CARRIER={carrier} needs {' and '.join(missing)}")
        return "; ".join(problems)

    @property
    def escalation_channel(self) -> str:
        return (self.ESCALATION_CHANNEL or self.APPROVALS_CHANNEL).strip()

    @property
    def digest_channel(self) -> str:
        return self.DIGEST_CHANNEL.strip() or self.escalation_channel

    @property
    def digest_time(self) -> time:
        hours, minutes = self.DIGEST_TIME.split(":")
        return time(int(hours), int(minutes))

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.TIMEZONE)

    @property
    def approver_user_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.APPROVER_USER_IDS.replace(";", ",").split(",") if part.strip())


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; ConfigError lists every problem, one per line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()]) from None


def _describe(err: object) -> str:
    loc = err.get("loc", ())  # type: ignore[attr-defined]
    name = str(loc[0]) if loc else "configuration"
    msg = str(err.get("msg", "invalid"))  # type: ignore[attr-defined]
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "literal_error":  # type: ignore[attr-defined]
        msg = f"unknown value {err.get('input')!r}: {msg.lower()}"  # type: ignore[attr-defined]
    return f"{name}: {msg}" if loc else msg
