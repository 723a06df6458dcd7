"""Forms for the login, sign-up and account pages (the rules live in services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from .services import MAX_PASSWORD, MIN_PASSWORD

PASSWORD_RULE = Length(
    min=MIN_PASSWORD,
    max=MAX_PASSWORD,
    message=f"Use a password of at least {MIN_PASSWORD} characters.",
)
EMAIL_RULES = [DataRequired("Enter your email address."), Email("Enter a valid email address.")]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class SignupForm(FlaskForm):
    display_name = StringField(
        "Name",
        validators=[DataRequired("Enter the name to show with your comments."), Length(max=100)],
    )
    email = EmailField("Email", validators=EMAIL_RULES)
    password = PasswordField("Password", validators=[DataRequired(), PASSWORD_RULE])
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL_RULES)


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), PASSWORD_RULE])


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Name", validators=[DataRequired("Enter the name to show."), Length(max=100)]
    )
    website = URLField("Website", validators=[Optional(), Length(max=255)])


class AvatarForm(FlaskForm):
    avatar = RadioField("Picture", choices=[], validate_choice=False)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password")
    new_password = PasswordField("New password", validators=[DataRequired(), PASSWORD_RULE])


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address", validators=EMAIL_RULES)
    password = PasswordField("Your password, to confirm the change")
