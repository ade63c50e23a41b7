"""Dossier famille tab (R11, R12, R13): fiche responsable compte famille, second
guardian, informations allocataire and quotient familial, the attached children with
their link attributes, the five forms of the highlighted child (status in the
guide's colours and in words), the contacts, and the family's portal account.

Keyboard first: each action is a key shown in the footer; Entrée on a child goes to
its forms, Entrée on a form opens it. Everything is read and written through the
services in workers, so the screen never waits on the database.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from portail_tui.domain import forms as F
from portail_tui.domain.frdates import format_date_long, format_date_short, format_datetime_short
from portail_tui.domain.validation import FieldDef
from portail_tui.screens.base import TabScreen
from portail_tui.screens.dossier.attach import ChildPickScreen
from portail_tui.screens.dossier.editor import ConfirmScreen, MessageScreen, RecordEditor
from portail_tui.screens.dossier.fields import legend, status_chip
from portail_tui.screens.dossier.forms_editor import FormScreen
from portail_tui.screens.dossier.forms_queue import ValidationQueueScreen
from portail_tui.services import dossier, forms, permissions, portal_accounts
from portail_tui.services.context import ServiceError
from portail_tui.services.dossier import InvalidFields

KEYS_HELP = (
    "e responsable · s second responsable (S : le retirer) · a allocataire et QF · n ajouter un enfant · m modifier l'enfant · "
    "l rattachement · t rattacher un enfant (garde alternée) · c ajouter un contact · x retirer le contact · "
    "p compte portail · v fiches à valider · Ctrl+N nouvelle famille · Entrée : fiches de l'enfant, "
    "puis ouvrir la fiche · Tab : liste suivante"
)


def _yes_no(text: str) -> str:
    return {"oui": "Oui", "non": "Non"}.get(text, text or "—")


def form_dots(statuses: dict[str, str]) -> Text:
    """Five coloured squares, one per form in the guide's order."""
    text = Text()
    for kind in F.KINDS:
        text.append("■", style=F.STATUS_COLOURS[statuses.get(kind, F.A_SAISIR)])
    return text


class DossierScreen(TabScreen):
    TAB_ID = "dossier"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit_guardian(1)", "Responsable"),
        Binding("s", "edit_guardian(2)", "Second responsable", show=False),
        Binding("S", "remove_second_guardian", "Retirer le second responsable", show=False),
        Binding("a", "edit_family_info", "Allocataire et QF", show=False),
        Binding("n", "add_child", "Enfant +"),
        Binding("m", "edit_child", "Modifier l'enfant"),
        Binding("l", "edit_link", "Rattachement", show=False),
        Binding("t", "attach_child", "Garde alternée", show=False),
        Binding("c", "add_contact", "Contact +"),
        Binding("x", "remove_contact", "Retirer le contact", show=False),
        Binding("p", "portal_account", "Compte portail"),
        Binding("v", "validation_queue", "Fiches à valider"),
        Binding("ctrl+n", "new_family", "Nouvelle famille", show=False),
    ]

    CSS_PATH = "screen.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.file: dossier.FamilyFile | None = None
        self.child_id: int | None = None
        self.child_forms: list[forms.FormView] = []
        self.account: portal_accounts.AccountInfo | None = None

    # --- layout ------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="dossier-scroll"):
            yield Static(legend(), id="dossier-legend")
            yield Static(KEYS_HELP, id="dossier-keys", classes="hint")
            yield Static("", id="dossier-empty")
            yield Static("Fiche responsable compte famille", classes="section-title")
            yield Static("", id="dossier-guardians")
            yield Static("Enfants rattachés", classes="section-title")
            children: DataTable[Any] = DataTable(id="dossier-children", cursor_type="row", zebra_stripes=True)
            children.add_columns("Enfant", "Fiches", "Né(e) le", "École", "Classe", "Lien de parenté",
                                 "Situation des parents", "Contact d'urgence", "Lieu de résidence",
                                 "Autorité parentale", "Affiliation CAF", "Autre foyer")
            yield children
            yield Static("Fiches de l'enfant", classes="section-title", id="dossier-forms-title")
            form_table: DataTable[Any] = DataTable(id="dossier-forms", cursor_type="row")
            form_table.add_columns("Fiche", "Statut", "Dernière modification", "Motif / validité")
            yield form_table
            yield Static("Contacts", classes="section-title")
            contacts: DataTable[Any] = DataTable(id="dossier-contacts", cursor_type="row", zebra_stripes=True)
            contacts.add_columns("Nom", "Téléphone", "Lien", "Peut venir chercher", "À appeler en urgence",
                                 "Enfant")
            yield contacts
            yield Static("Compte du portail", classes="section-title")
            yield Static("", id="dossier-account")
            yield Static("", id="dossier-status")

    FAMILY_ACTIONS: ClassVar[frozenset[str]] = frozenset({
        "edit_guardian", "remove_second_guardian", "edit_family_info", "add_child", "edit_child", "edit_link", "attach_child",
        "add_contact", "remove_contact", "portal_account"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in self.FAMILY_ACTIONS:
            return True
        if self.family_id is None or self.file is None:
            return False
        if action in ("edit_child", "edit_link") and self.child_id is None:
            return None  # shown greyed out
        return action != "portal_account" or permissions.allowed(self.ctx.actor, "portal.manage")

    # --- loading -----------------------------------------------------------------

    def load_family(self, family_id: int | None) -> None:
        if family_id is None:
            self.file = None
            self.child_id = None
            self._show_empty()
            return
        self._load(family_id, self.child_id)

    @work(thread=True, exclusive=True, group="dossier-load")
    def _load(self, family_id: int, child_id: int | None) -> None:
        try:
            file = dossier.family_file(self.ctx, family_id)
            account = portal_accounts.account_info(self.ctx, family_id)
            ids = [c.id for c in file.children]
            chosen = child_id if child_id in ids else (ids[0] if ids else None)
            views = forms.child_forms(self.ctx, chosen) if chosen is not None else []
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._show, file, account, chosen, views)

    def _show_empty(self) -> None:
        self.query_one("#dossier-empty", Static).update(
            "Aucune famille sélectionnée : Ctrl+F pour rechercher une famille, Ctrl+N pour en créer une.")
        self.query_one("#dossier-guardians", Static).update("")
        for table_id in ("#dossier-children", "#dossier-forms", "#dossier-contacts"):
            self.query_one(table_id, DataTable).clear()
        self.query_one("#dossier-account", Static).update("")
        self.refresh_bindings()

    def _show(self, file: dossier.FamilyFile, account: portal_accounts.AccountInfo | None,
              child_id: int | None, views: list[forms.FormView]) -> None:
        if file.id != self.family_id:
            return  # another family was chosen meanwhile
        self.file = file
        self.account = account
        self.query_one("#dossier-empty", Static).update("")
        self.query_one("#dossier-guardians", Static).update(self._guardians_text(file))
        table = self.query_one("#dossier-children", DataTable)
        table.clear()
        for c in file.children:
            v, link = c.values, c.link
            table.add_row(
                c.full_name, form_dots(c.form_statuses),
                v.get("birth_date") or "—", v.get("school") or "—", v.get("school_class") or "—",
                link.get("relationship") or "—", link.get("parents_situation") or "—",
                _yes_no(link.get("emergency_contact", "")), link.get("residence") or "—",
                _yes_no(link.get("parental_authority", "")), _yes_no(link.get("caf_affiliation", "")),
                ", ".join(c.other_families) or "—",
                key=str(c.id),
            )
        if child_id is not None:
            row = next(i for i, c in enumerate(file.children) if c.id == child_id)
            table.move_cursor(row=row)
        self._show_forms(child_id, views)
        contacts = self.query_one("#dossier-contacts", DataTable)
        contacts.clear()
        for k in file.contacts:
            contacts.add_row(k.values.get("name", ""), k.values.get("phone", ""), k.values.get("relationship") or "—",
                             _yes_no(k.values.get("may_pick_up", "")), _yes_no(k.values.get("emergency", "")),
                             k.child_name or "tous", key=str(k.id))
        self.query_one("#dossier-account", Static).update(self._account_text())
        self.refresh_bindings()

    def _show_forms(self, child_id: int | None, views: list[forms.FormView]) -> None:
        self.child_id = child_id
        self.child_forms = views
        title = self.query_one("#dossier-forms-title", Static)
        child = self.file.child(child_id) if (self.file and child_id is not None) else None
        title.update(f"Fiches de {child.full_name}" if child else "Fiches de l'enfant")
        table = self.query_one("#dossier-forms", DataTable)
        table.clear()
        for view in views:
            if view.status == F.REJETEE and view.reject_reason:
                note = f"Rejetée : {view.reject_reason}"
            elif view.expires_on:
                note = f"Valable jusqu'au {format_date_short(view.expires_on)}"
            elif view.hidden:
                note = "Contenu réservé aux agents habilités"
            else:
                note = ""
            when = (f"{format_datetime_short(view.updated_at)} ({(view.updated_by or '').split(':', 1)[-1]})"
                    if view.updated_at and view.status != F.A_SAISIR else "—")
            table.add_row(F.KIND_LABELS[view.kind], status_chip(view.status), when, note, key=view.kind)

    def _guardians_text(self, file: dossier.FamilyFile) -> Text:
        text = Text()
        text.append(f"Famille {file.name} — n° {file.number_text}\n", style="bold")
        for rank in (1, 2):
            g = file.guardian(rank)
            label = "Responsable" if rank == 1 else "Second responsable"
            if g is None:
                if rank == 2:
                    text.append(f"{label} : aucun (s pour l'ajouter)\n", style="italic")
                continue
            v = g.values
            text.append(f"{label} : ", style="bold")
            text.append(f"{g.display_name}\n")
            text.append(f"  Adresse : {g.address or '—'}\n")
            text.append(f"  Tél. domicile : {v.get('phone_home') or '—'}   Tél. mobile : {v.get('phone_mobile') or '—'}"
                        f"   Tél. professionnel : {v.get('phone_work') or '—'}\n")
            text.append(f"  Courriel : {v.get('email') or '—'}\n")
        fv = file.values
        text.append("Informations allocataire : ", style="bold")
        text.append(f"{fv.get('allocataire_type') or '—'} n° {fv.get('allocataire_number') or '—'}   ")
        text.append("Quotient familial : ", style="bold")
        qf = fv.get("quotient")
        text.append(f"{qf} €" if qf else "non renseigné")
        if fv.get("quotient_valid_from") or fv.get("quotient_valid_to"):
            text.append(f" (du {fv.get('quotient_valid_from') or '—'} au {fv.get('quotient_valid_to') or '—'})")
        return text

    def _account_text(self) -> str:
        if self.account is None:
            return "Pas encore de compte (p : créer le compte et envoyer le mot de passe provisoire)."
        return (f"Identifiant {self.account.identifier} — {self.account.status_text(self.ctx.clock.now())} "
                "(p : nouveau mot de passe provisoire)")

    def _status(self, text: str, *, error: bool = False) -> None:
        widget = self.query_one("#dossier-status", Static)
        widget.update(text)
        widget.set_class(error, "error")

    def reload(self, message: str | None = None) -> None:
        if message:
            self._status(message)
        if self.family_id is not None:
            self._load(self.family_id, self.child_id)

    # --- children and their forms ------------------------------------------------

    @on(DataTable.RowHighlighted, "#dossier-children")
    def _child_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        child_id = int(event.row_key.value)
        if child_id != self.child_id:
            self.child_id = child_id
            self._load_forms(child_id)
            self.refresh_bindings()

    @work(thread=True, exclusive=True, group="dossier-forms")
    def _load_forms(self, child_id: int) -> None:
        try:
            views = forms.child_forms(self.ctx, child_id)
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._forms_loaded, child_id, views)

    def _forms_loaded(self, child_id: int, views: list[forms.FormView]) -> None:
        if child_id == self.child_id:
            self._show_forms(child_id, views)

    @on(DataTable.RowSelected, "#dossier-children")
    def _child_selected(self) -> None:
        self.query_one("#dossier-forms", DataTable).focus()

    @on(DataTable.RowSelected, "#dossier-forms")
    def _form_selected(self, event: DataTable.RowSelected) -> None:
        kind = event.row_key.value
        view = next((v for v in self.child_forms if v.kind == kind), None)
        if view is not None:
            self.open_form(view)

    def open_form(self, view: forms.FormView) -> None:
        self.app.push_screen(FormScreen(self.ctx, view), self._form_closed)

    def _form_closed(self, message: str | None) -> None:
        if message:
            self.notify(message)
        self.reload(message)

    # --- editors -----------------------------------------------------------------

    def _edit(self, title: str, fields: tuple, values: dict[str, str], saver, done: str,  # type: ignore[no-untyped-def]
              *, intro: str = "") -> None:
        def closed(result: object) -> None:
            if result is not None:
                self.notify(done)
                self.reload(done)
                self.portail.refresh_header()

        self.app.push_screen(RecordEditor(title, fields, values, saver, intro=intro), closed)

    def action_edit_guardian(self, rank: int) -> None:
        if self.file is None or self.family_id is None:
            return
        g = self.file.guardian(rank)
        fid = self.family_id
        title = "Fiche responsable compte famille" if rank == 1 else "Second responsable"
        self._edit(title, F.GUARDIAN_FIELDS, g.values if g else {},
                   partial(self._save_guardian, fid, rank), "Responsable enregistré.")

    def action_remove_second_guardian(self) -> None:
        if self.file is None or self.family_id is None:
            return
        second = self.file.guardian(2)
        if second is None:
            self._status("Cette famille n'a pas de second responsable.")
            return
        fid = self.family_id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(lambda: dossier.remove_second_guardian(self.ctx, fid), "Second responsable retiré.")

        self.app.push_screen(ConfirmScreen(f"Retirer {second.display_name} du dossier ?"), confirmed)

    def _save_guardian(self, family_id: int, rank: int, values: dict[str, str]) -> object:
        return dossier.save_guardian(self.ctx, family_id, rank, values)

    def action_edit_family_info(self) -> None:
        if self.file is None or self.family_id is None:
            return
        fid = self.family_id
        self._edit("Informations allocataire et quotient familial", F.FAMILY_FIELDS, self.file.values,
                   lambda values: dossier.save_family_info(self.ctx, fid, values), "Informations enregistrées.")

    def action_add_child(self) -> None:
        if self.family_id is None:
            return
        fid = self.family_id
        surname = self.file.name if self.file else ""
        fields = F.CHILD_FIELDS + F.LINK_FIELDS
        self._edit("Ajouter un enfant", fields, {"last_name": surname, **dossier.default_link_texts()},
                   lambda values: dossier.add_child(self.ctx, fid, values, values),
                   "Enfant ajouté : ses cinq fiches sont à saisir.")

    def _current_child(self) -> dossier.ChildData | None:
        if self.file is None or self.child_id is None:
            return None
        return self.file.child(self.child_id)

    def action_edit_child(self) -> None:
        child = self._current_child()
        if child is None or self.family_id is None:
            return
        fid, cid = self.family_id, child.id
        self._edit(f"Modifier l'enfant {child.full_name}", F.CHILD_FIELDS, child.values,
                   lambda values: dossier.update_child(self.ctx, fid, cid, values), "Enfant enregistré.")

    def action_edit_link(self) -> None:
        child = self._current_child()
        if child is None or self.family_id is None:
            return
        fid, cid = self.family_id, child.id
        self._edit(f"Rattachement de {child.full_name} à cette famille", F.LINK_FIELDS, child.link,
                   lambda values: dossier.save_link(self.ctx, fid, cid, values), "Rattachement enregistré.")

    def action_attach_child(self) -> None:
        if self.family_id is None:
            return
        fid = self.family_id

        def picked(child_id: int | None) -> None:
            if child_id is None:
                return
            self._edit("Rattacher l'enfant à cette famille (garde alternée)", F.LINK_FIELDS,
                       {**dossier.default_link_texts(), "residence": "Alternée"},
                       lambda values: dossier.attach_child(self.ctx, fid, child_id, values),
                       "Enfant rattaché à cette famille.",
                       intro="Chaque famille réserve et paie ses propres jours.")

        self.app.push_screen(ChildPickScreen(self.ctx), picked)

    def action_add_contact(self) -> None:
        if self.family_id is None or self.file is None:
            return
        fid = self.file.id
        everyone = "Tous les enfants"
        by_name = {c.full_name: c.id for c in self.file.children}
        child = self._current_child()
        fields = (*F.CONTACT_FIELDS,
                  FieldDef("child", "Pour l'enfant", "choice", required=True,
                           choices=(everyone, *by_name), max_length=200))

        def saver(values: dict[str, str]) -> int:
            chosen = values.get("child", "")
            if chosen and chosen.casefold() != everyone.casefold() and chosen not in by_name:
                raise InvalidFields({"child": "Choisissez un enfant de la liste."})
            return dossier.add_contact(self.ctx, fid, values, child_id=by_name.get(chosen))

        self._edit("Ajouter un contact", fields,
                   {"may_pick_up": "non", "emergency": "oui", "child": child.full_name if child else everyone},
                   saver, "Contact ajouté.")

    def _current_contact(self) -> dossier.ContactData | None:
        if self.file is None or not self.file.contacts:
            return None
        table = self.query_one("#dossier-contacts", DataTable)
        return self.file.contacts[min(max(table.cursor_row, 0), len(self.file.contacts) - 1)]

    @on(DataTable.RowSelected, "#dossier-contacts")
    def _contact_selected(self) -> None:
        contact = self._current_contact()
        if contact is None or self.family_id is None:
            return
        fid, kid = self.family_id, contact.id
        self._edit(f"Modifier le contact {contact.values.get('name', '')}", F.CONTACT_FIELDS, contact.values,
                   lambda values: dossier.update_contact(self.ctx, fid, kid, values), "Contact enregistré.")

    def action_remove_contact(self) -> None:
        contact = self._current_contact()
        if contact is None or self.family_id is None or self.focused is not self.query_one("#dossier-contacts"):
            self._status("Placez-vous sur la liste des contacts (Tab) pour retirer un contact.")
            return
        fid, kid = self.family_id, contact.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(lambda: dossier.remove_contact(self.ctx, fid, kid), "Contact retiré.")

        self.app.push_screen(ConfirmScreen(f"Retirer le contact {contact.values.get('name', '')} ?"), confirmed)

    @work(thread=True, group="dossier-action")
    def _run(self, fn, done: str) -> None:  # type: ignore[no-untyped-def]
        try:
            fn()
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self.reload, done)

    def action_new_family(self) -> None:
        def saver(values: dict[str, str]) -> int:
            return dossier.create_family(self.ctx, values)

        def closed(family_id: object) -> None:
            if isinstance(family_id, int):
                self.portail.select_family(family_id)
                self.notify("Famille créée.")

        self.app.push_screen(RecordEditor("Nouvelle famille — responsable principal", F.GUARDIAN_FIELDS, {},
                                          saver), closed)

    # --- portal account ------------------------------------------------------------

    def action_portal_account(self) -> None:
        if self.family_id is None or self.file is None:
            return
        fid = self.family_id
        if self.account is None:
            question = (f"Créer le compte du portail de la famille {self.file.name} ? L'identifiant et un mot "
                        f"de passe provisoire seront envoyés par courriel ({self.file.email or 'aucun courriel'}).")
        else:
            question = (f"Envoyer un nouveau mot de passe provisoire au compte {self.account.identifier} ? "
                        "L'ancien mot de passe ne fonctionnera plus.")
        create = self.account is None

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._issue_account(fid, create)

        self.app.push_screen(ConfirmScreen(question), confirmed)

    @work(thread=True, group="dossier-portal")
    def _issue_account(self, family_id: int, create: bool) -> None:
        try:
            result = (portal_accounts.create_account(self.ctx, family_id) if create
                      else portal_accounts.reissue_password(self.ctx, family_id))
        except ServiceError as exc:
            self.app.call_from_thread(self._status, exc.message, error=True)
            return
        self.app.call_from_thread(self._account_issued, result)

    def _account_issued(self, result: portal_accounts.AccountCreated) -> None:
        text = Text()
        text.append("Compte du portail\n\n", style="bold")
        text.append(f"Identifiant : {result.identifier}\n")
        text.append("Mot de passe provisoire : ")
        text.append(f"{result.provisional_password}\n", style="bold")
        text.append(f"\nEnvoyé par courriel à {result.email}. Valable jusqu'au "
                    f"{format_date_long(result.expires_at.date())} ; la famille le changera à sa première "
                    "connexion.\nCe mot de passe ne sera plus jamais affiché.", style="italic")
        self.app.push_screen(MessageScreen(text), lambda _: self.reload("Compte du portail : courriel envoyé."))

    # --- validation queue ----------------------------------------------------------

    def action_validation_queue(self) -> None:
        def closed(family_id: int | None) -> None:
            if family_id is not None:
                self.portail.select_family(family_id)
            else:
                self.reload()

        self.app.push_screen(ValidationQueueScreen(self.ctx), closed)
