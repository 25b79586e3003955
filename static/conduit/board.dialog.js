/* The card edit dialog: the stored card at once, then the live ticket read with the viewer's
   own token (details shown, never stored), and a PATCH that writes through to the tool.

   When the tool refuses the change, the banner says why, the form keeps exactly what the user
   typed (the API gives it back in error.detail.submitted) and Retry sends it again.

   A save sends the card's ETag as If-Match: a card changed since the dialog read it (an edit in
   another tab, a webhook, a live refresh elsewhere) is not overwritten; the API answers 412 and
   the banner asks to reload the card, which shows its values now. */

import { api, query } from "./board.api.js";
import { el, show, problemNode, flash, busy, connectHref } from "./board.ui.js";
import { upsertCard, removeCard, webUrl } from "./board.cards.js";
import { JiraIssues } from "./board.jira.js";
import { formatWhen } from "./when.js";

const NO_DETAILS = "—";
export const CARD_CHANGED_MESSAGE = "This card changed since you opened it, so nothing was saved. Reload the card to see its current values, then make your change again.";

/* Conduit's one date format (when.js): date-times in the viewer's zone, due dates as days. */
function formatDate(value) {
  return value ? formatWhen(value) : NO_DETAILS;
}

function isDone(status) {
  return /^done\b/i.test(status || "");
}

export class CardDialog {
  constructor(context) {
    this.context = context;
    this.dialog = document.getElementById("card-dialog");
    this.form = document.getElementById("card-form");
    this.title = document.getElementById("card-title");
    this.description = document.getElementById("card-description");
    this.completed = document.getElementById("card-completed");
    this.completedRow = document.getElementById("card-completed-row");
    this.error = document.getElementById("card-error");
    this.errorMessage = document.getElementById("card-error-message");
    this.errorConnect = document.getElementById("card-error-connect");
    this.save = document.getElementById("card-save");
    this.connect = document.getElementById("card-connect");
    this.notConnected = document.getElementById("card-not-connected");
    this.details = document.getElementById("card-details");
    this.jira = new JiraIssues(context);
    this.card = null;
    this.etag = null; // the version of this.card, sent back as If-Match
    this.dirty = false;
    this.generation = 0;
    this.retry = document.getElementById("card-retry");
    this.reloadButton = document.getElementById("card-reload");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.addEventListener("input", () => { this.dirty = true; });
    this.retry.addEventListener("click", () => this.submit());
    this.reloadButton.addEventListener("click", () => this.reload());
    document.getElementById("card-cancel").addEventListener("click", () => this.dialog.close());
    document.getElementById("card-remove").addEventListener("click", () => this.remove());
    // Connected in another tab meanwhile? Coming back to this one asks again.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.dialog.open && this.card) this.refreshConnections();
    });
  }

  /* The viewer's connections as the API says now (not as the page was rendered). */
  async refreshConnections() {
    const generation = this.generation;
    const answer = await api("GET", `integrations/${query({ team: this.context.teamId })}`);
    if (generation !== this.generation || !answer.ok || !this.card) return;
    this.applyConnections(answer.data);
  }

  /* Not connected to the card's tool: Connect instead of Save, the form read-only, and a
     warning saying why; Jira's create button follows the Jira connection the same way. */
  applyConnections(states) {
    const byKey = Object.fromEntries(states.map((state) => [state.key, state]));
    const mine = byKey[this.card.provider];
    const connected = !mine || mine.connected;
    const name = this.context.name(this.card.provider);
    show(this.save, connected);
    show(this.connect, !connected);
    show(this.notConnected, !connected);
    for (const control of [this.title, this.description, this.completed]) control.disabled = !connected;
    if (!connected) {
      this.connect.setAttribute("href", connectHref(mine.connect_url, this.context));
      this.connect.textContent = mine.installed ? `Connect ${name} to edit` : `Ask for ${name}`;
      this.notConnected.textContent = mine.installed
        ? `You are not connected to ${name}: the card shows what is stored. Connect your ${name} account to edit it.`
        : `${name} is not installed for this team: the card shows what is stored.`;
    }
    this.jira.applyConnection(byKey.jira_server);
  }

  async open(cardId) {
    const generation = ++this.generation;
    this.card = null;
    this.etag = null;
    this.dirty = false;
    this.form.reset();
    this.hideError();
    this.jira.reset();
    this.setFormEnabled(false);
    show(this.save, true);
    show(this.connect, false);
    show(this.notConnected, false);
    const titleOnBoard = document.querySelector(`#card-${cardId} .card-open`);
    this.title.value = titleOnBoard ? titleOnBoard.textContent : "";
    this.details.replaceChildren(el("p", { class: "muted", "data-testid": "card-details-loading", text: "Loading live details…" }));
    this.dialog.showModal();
    const storedRequest = api("GET", `cards/${cardId}`);
    const liveRequest = api("GET", `cards/${cardId}/details`);
    const connectionsRequest = api("GET", `integrations/${query({ team: this.context.teamId })}`);
    const stored = await storedRequest;
    if (generation !== this.generation) return;
    if (!stored.ok) {
      this.details.replaceChildren();
      this.showError(stored);
      return;
    }
    this.showCard(stored.data, { fillForm: true });
    this.etag = stored.etag;
    this.jira.showCard(stored.data);
    this.setFormEnabled(true);
    const connections = await connectionsRequest;
    if (generation !== this.generation) return;
    if (connections.ok) this.applyConnections(connections.data);
    const live = await liveRequest;
    if (generation !== this.generation) return;
    this.showLive(live);
  }

  setFormEnabled(enabled) {
    for (const control of this.form.querySelectorAll("input, textarea, #card-save, #card-remove")) {
      control.disabled = !enabled;
    }
  }

  /* The stored fields; the form follows them until the user starts typing. */
  showCard(card, { fillForm }) {
    this.card = card;
    const name = this.context.name(card.provider);
    document.getElementById("card-dialog-heading").textContent = `Edit ${name} card`;
    document.getElementById("card-stored-status").textContent = card.status || NO_DETAILS;
    document.getElementById("card-stored-priority").textContent = card.priority || NO_DETAILS;
    const assignee = card.assignee_name
      ? `${card.assignee_name}${card.assignee_email ? ` <${card.assignee_email}>` : ""}`
      : "Unassigned";
    document.getElementById("card-stored-assignee").textContent = assignee;
    document.getElementById("card-stored-synced").textContent = formatDate(card.synced_at);
    const link = document.getElementById("card-open-link");
    const href = webUrl(card.url);
    if (href) link.setAttribute("href", href);
    else link.removeAttribute("href");
    link.textContent = `Open in ${name} ↗`;
    show(this.completedRow, card.provider === "asana");
    if (fillForm && !this.dirty) {
      this.title.value = card.title;
      this.description.value = card.description;
      this.completed.checked = isDone(card.status);
    }
  }

  showLive(result) {
    if (result.ok) {
      this.showCard(result.data.card, { fillForm: true });
      if (result.etag) this.etag = result.etag;
      upsertCard(result.data.card, this.context);
      this.details.replaceChildren(this.detailsNode(result.data.card.provider, result.data.details || {}));
      return;
    }
    const error = (result.data && result.data.error) || {};
    if (error.code === "no_access") {
      this.details.replaceChildren(el("p", { class: "banner-warn", "data-testid": "card-no-access", text: error.message }));
    } else {
      const cardContext = { ...this.context, name: (key) => this.context.name(key || this.card?.provider || "") };
      this.details.replaceChildren(problemNode(result, cardContext, "card-details-error", { newTab: true }));
    }
  }

  /* Asana gives tags / due_on / projects / modified_at, Jira labels / due_date / project /
     updated; both give attachments. */
  detailsNode(provider, details) {
    const tags = details.tags || details.labels || [];
    const projects = details.projects || (details.project && details.project.name ? [details.project] : []);
    const attachments = details.attachments || [];
    const row = (label, testid, content) => el("div", {}, [el("dt", { text: label }), el("dd", { "data-testid": testid }, content)]);
    const tagNodes = tags.length ? tags.map((tag) => el("span", { class: "tag", text: tag })) : [NO_DETAILS];
    const attachmentList = attachments.length
      ? el("ul", { class: "attachments", "data-testid": "details-attachments" }, attachments.map((attachment) => {
        const href = webUrl(attachment.view_url || attachment.url);
        const label = attachment.name || "attachment";
        const where = attachment.host && attachment.host !== "asana" ? ` (${attachment.host})` : "";
        return el("li", {}, [
          href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: label }) : label,
          where ? el("span", { class: "muted", text: where }) : null,
        ]);
      }))
      : el("p", { class: "muted", "data-testid": "details-attachments", text: "No attachments" });
    return el("div", {}, [
      el("dl", { class: "details-list" }, [
        row(provider === "jira_server" ? "Labels" : "Tags", "details-tags", tagNodes),
        row("Due", "details-due", [formatDate(details.due_on || details.due_date)]),
        row(projects.length > 1 ? "Projects" : "Project", "details-projects",
          [projects.map((project) => project.name).join(", ") || NO_DETAILS]),
        row("Modified", "details-modified", [formatDate(details.modified_at || details.updated)]),
      ]),
      el("h4", { text: "Attachments" }),
      attachmentList,
    ]);
  }

  changes() {
    const changes = {};
    if (this.title.value !== this.card.title) changes.title = this.title.value;
    // Browsers give a textarea's value with \n line ends whatever the stored text uses.
    const storedDescription = (this.card.description || "").replace(/\r\n?/g, "\n");
    if (this.description.value !== storedDescription) changes.description = this.description.value;
    if (this.card.provider === "asana" && this.completed.checked !== isDone(this.card.status)) {
      changes.completed = this.completed.checked;
    }
    return changes;
  }

  async submit() {
    if (!this.card) return;
    if (!this.title.value.trim()) {
      this.showError({ status: 400, data: { error: { code: "invalid", message: "A card needs a title.", detail: {} } } });
      this.title.focus();
      return;
    }
    const changes = this.changes();
    if (Object.keys(changes).length === 0) {
      this.dialog.close();
      return;
    }
    const cardId = this.card.id;
    const generation = this.generation;
    this.hideError();
    busy(this.save, true, "Saving…");
    const result = await api("PATCH", `cards/${cardId}`, changes, this.etag ? { "If-Match": this.etag } : {});
    busy(this.save, false);
    if (generation !== this.generation) return;
    if (result.ok) {
      this.dirty = false;
      this.etag = result.etag;
      upsertCard(result.data, this.context);
      this.dialog.close();
      flash(`Saved to ${this.context.name(result.data.provider)}.`);
      return;
    }
    if (result.status === 412) {
      // Nothing was written: the form keeps what was typed, Reload shows the card as it is now.
      this.showError(result, { changed: true });
      return;
    }
    const submitted = (result.data.error.detail || {}).submitted;
    if (submitted) {
      // What the user typed, exactly as sent: never replaced by the stored values.
      if ("title" in submitted) this.title.value = submitted.title;
      if ("description" in submitted) this.description.value = submitted.description;
      if ("completed" in submitted) this.completed.checked = Boolean(submitted.completed);
    }
    this.showError(result);
    // The card keeps its last good data and now says it is out of sync.
    const stored = await api("GET", `cards/${cardId}`);
    if (stored.ok && generation === this.generation) {
      upsertCard(stored.data, this.context);
      this.card = stored.data;
      this.etag = stored.etag;
    }
  }

  /* After a 412: the card as stored now, in the form and on the board, and its live details
     again (the change made elsewhere moved them too); the next save sends its new version. */
  async reload() {
    if (!this.card) return;
    const generation = this.generation;
    busy(this.reloadButton, true, "Reloading…");
    const storedRequest = api("GET", `cards/${this.card.id}`);
    const liveRequest = api("GET", `cards/${this.card.id}/details`);
    const stored = await storedRequest;
    busy(this.reloadButton, false);
    if (generation !== this.generation) return;
    if (!stored.ok) {
      this.showError(stored);
      return;
    }
    this.dirty = false;
    this.showCard(stored.data, { fillForm: true });
    this.etag = stored.etag;
    upsertCard(stored.data, this.context);
    this.hideError();
    this.details.replaceChildren(el("p", { class: "muted", "data-testid": "card-details-loading", text: "Loading live details…" }));
    const live = await liveRequest;
    if (generation !== this.generation) return;
    this.showLive(live);
  }

  showError(result, { changed = false } = {}) {
    const error = (result.data && result.data.error) || {};
    this.errorMessage.textContent = changed ? CARD_CHANGED_MESSAGE : error.message || "Something went wrong.";
    show(this.retry, !changed);
    show(this.reloadButton, changed);
    this.error.dataset.code = error.code || "";
    const detail = error.detail || {};
    if (detail.connect_url) {
      const cardContext = { ...this.context, name: (key) => this.context.name(key || this.card?.provider || "") };
      const prompt = problemNode(result, cardContext, "card-error-prompt", { newTab: true });
      const link = prompt.querySelector("a");
      this.errorConnect.replaceChildren(link);
      show(this.errorConnect, true);
    } else {
      this.errorConnect.replaceChildren();
      show(this.errorConnect, false);
    }
    show(this.error, true);
  }

  hideError() {
    show(this.error, false);
    show(this.reloadButton, false);
    this.errorMessage.textContent = "";
  }

  async remove() {
    if (!this.card) return;
    const name = this.context.name(this.card.provider);
    if (!window.confirm(`Remove “${this.card.title}” from this board? The task stays in ${name}.`)) return;
    const result = await api("DELETE", `cards/${this.card.id}`);
    if (!result.ok) {
      this.showError(result);
      return;
    }
    removeCard(this.card.id);
    this.dialog.close();
    flash(`Card removed from the board; the task is still in ${name}.`);
  }
}
