"""Server-rendered pages for people under ``/app`` (Spanish first): sign-in (local accounts and OpenID
Connect), sessions in signed cookies, CSRF on every form, the review queue and the auditor's case view.

Routes here call domain services (``accounts``, ``matching``, ``audit``, ``referral``…) and render
templates; they never query tables. Every page view of personal data is audited through the audit
service with the signed-in person as the acting user. Interface for other page modules: ``docs/ui.md``.
"""
