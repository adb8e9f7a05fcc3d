"""The words people read on the pages: one catalogue per language, es-MX first, English second.

Templates call ``t("key")``; a key missing from English falls back to Spanish, one missing from both is
shown as the key itself (so a typo is visible on the page, never an error).
"""

from __future__ import annotations

from interop import messages as interop_messages

ES_MX: dict[str, str] = {
    "app.title": "interop · Bienestar e IMSS-Bienestar",
    "nav.skip": "Saltar al contenido",
    "nav.home": "Inicio",
    "nav.reviews": "Revisión de identidades",
    "nav.cases": "Casos (auditoría)",
    "nav.units": "Referencias de la unidad",
    "nav.dashboard": "Tablero del programa",
    "nav.signout": "Salir",
    "nav.signed_in_as": "Sesión de",
    "login.title": "Entrar",
    "login.username": "Usuario",
    "login.password": "Contraseña",
    "login.submit": "Entrar",
    "login.oidc": "Entrar con la cuenta institucional",
    "login.or": "o",
    "login.refused": "No se pudo entrar: usuario, contraseña o código incorrectos, o la cuenta está "
    "deshabilitada o bloqueada por un tiempo tras demasiados intentos fallidos. "
    "Si no puede entrar, pida ayuda a quien administra las cuentas.",
    "login.totp_missing": "Su rol requiere un segundo factor y su cuenta no lo tiene. "
    "Pida que lo registren (interop users reset --totp).",
    "login.oidc_failed": "No se pudo entrar con la cuenta institucional.",
    "login.oidc_unknown": "La cuenta institucional no tiene usuario en este servicio. "
    "Pida que lo den de alta.",
    "login.expired": "Su sesión terminó. Entre de nuevo.",
    "totp.title": "Segundo factor",
    "totp.label": "Código de 6 dígitos de su aplicación",
    "totp.submit": "Verificar",
    "password.title": "Cambie su contraseña",
    "password.intro": "Entró con una contraseña de un solo uso. Elija una nueva (al menos 12 caracteres).",
    "password.new": "Contraseña nueva",
    "password.repeat": "Repita la contraseña nueva",
    "password.mismatch": "Las contraseñas no coinciden.",
    "password.submit": "Guardar",
    "home.title": "Inicio",
    "home.welcome": "Bienvenida o bienvenido",
    "home.role": "Rol",
    "role.reviewer": "Revisión de identidades",
    "role.auditor": "Auditoría",
    "role.unit_staff": "Personal de unidad",
    "role.manager": "Gestión del programa",
    "role.admin": "Administración",
    "error.title": "No se puede mostrar",
    "error.forbidden": "Su rol no permite abrir esta página.",
    "error.not_found": "No se encontró lo que busca.",
    "error.csrf": "El formulario caducó o no vino de esta página. Vuelva a cargarla e inténtelo otra vez.",
    "error.invalid": "Datos inválidos",
    "error.back": "Volver al inicio",
    "footer.privacy": "Cada consulta de datos personales queda registrada en la bitácora de auditoría.",
}

EN: dict[str, str] = {
    "app.title": "interop · Bienestar and IMSS-Bienestar",
    "nav.skip": "Skip to content",
    "nav.home": "Home",
    "nav.reviews": "Identity review",
    "nav.cases": "Cases (audit)",
    "nav.units": "The unit's referrals",
    "nav.dashboard": "Programme dashboard",
    "nav.signout": "Sign out",
    "nav.signed_in_as": "Signed in as",
    "login.title": "Sign in",
    "login.username": "User name",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.oidc": "Sign in with the institution's account",
    "login.or": "or",
    "login.refused": "Could not sign in: wrong user name, password or code, or the account is disabled "
    "or locked for a while after too many failed attempts. If you cannot sign in, ask whoever manages "
    "the accounts.",
    "login.totp_missing": "Your role needs a second factor and your account has none.",
    "login.oidc_failed": "Signing in with the institution's account failed.",
    "login.oidc_unknown": "That institutional account has no user here.",
    "login.expired": "Your session ended. Sign in again.",
    "totp.title": "Second factor",
    "totp.label": "6-digit code from your app",
    "totp.submit": "Verify",
    "password.title": "Change your password",
    "password.intro": "You signed in with a one-time password. Choose a new one (at least 12 characters).",
    "password.new": "New password",
    "password.repeat": "Repeat the new password",
    "password.mismatch": "The passwords differ.",
    "password.submit": "Save",
    "home.title": "Home",
    "home.welcome": "Welcome",
    "home.role": "Role",
    "error.title": "Cannot show this",
    "error.forbidden": "Your role may not open this page.",
    "error.not_found": "Not found.",
    "error.csrf": "The form expired or did not come from this page. Reload it and try again.",
    "error.invalid": "Invalid data",
    "error.back": "Back to home",
    "footer.privacy": "Every view of personal data is recorded in the audit log.",
    "role.admin": "Administration",
    "role.auditor": "Audit",
    "role.manager": "Programme management",
    "role.reviewer": "Identity review",
    "role.unit_staff": "Unit staff",
}

CATALOGUES = {interop_messages.SPANISH: ES_MX, interop_messages.ENGLISH: EN}
LANGUAGES = tuple(CATALOGUES)


def add(es_mx: dict[str, str], en: dict[str, str]) -> None:
    """Page modules register their own words at import (keys prefixed by the page's name)."""
    ES_MX.update(es_mx)
    EN.update(en)


def pick_language(accept_language: str | None, chosen: str | None = None) -> str:
    """The language the person chose on the page, else the one the API would answer in: the same
    negotiation (q-values read, ``en;q=0`` refused), so a page and an API call never disagree."""
    if chosen in CATALOGUES:
        return chosen
    return interop_messages.negotiate(accept_language)


def translate(language: str, key: str, **values: object) -> str:
    text = CATALOGUES.get(language, ES_MX).get(key) or ES_MX.get(key) or key
    return text.format(**values) if values else text
