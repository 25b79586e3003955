/* The cards on the board: the same markup as templates/cards/_card.html, built from the API's
   card JSON, so an import, a create or an edit shows at once without reloading. */

import { el, show } from "./board.ui.js";

/* Only web links become hrefs: a card's URL comes from the tool. */
export function webUrl(url) {
  return /^https?:\/\//i.test(url || "") ? url : null;
}

export function cardNode(card, context) {
  const name = context.name(card.provider);
  const top = el("div", { class: "board-card-top" }, [
    el("span", { class: `provider provider-${card.provider}`, text: name }),
    card.sync_error ? el("span", { class: "badge badge-error", "data-testid": "card-sync-error", text: "Not synced" }) : null,
  ]);
  const field = (label, key, value) =>
    el("div", {}, [el("dt", { text: label }), el("dd", { "data-field": key, text: value })]);
  return el("article", {
    class: `board-card${card.sync_error ? " has-sync-error" : ""}`,
    id: `card-${card.id}`,
    "data-card-id": card.id,
    "data-provider": card.provider,
    "data-testid": "card",
  }, [
    top,
    el("h3", { class: "board-card-title" }, [
      el("button", { type: "button", class: "card-open", "data-card-id": card.id, "data-testid": "card-title", text: card.title }),
    ]),
    el("dl", { class: "board-card-fields" }, [
      field("Status", "status", card.status || "—"),
      field("Priority", "priority", card.priority || "—"),
      field("Assignee", "assignee", card.assignee_name || "Unassigned"),
    ]),
    card.sync_error ? el("p", { class: "board-card-error", "data-testid": "card-sync-error-message", text: card.sync_error }) : null,
    el("a", {
      class: "board-card-link", href: webUrl(card.url), target: "_blank", rel: "noopener noreferrer",
      "data-testid": "card-link", text: `Open in ${name} ↗`,
    }),
  ]);
}

function refreshCount() {
  const cards = document.querySelectorAll("#cards .board-card");
  document.getElementById("card-count").textContent = String(cards.length);
  show(document.getElementById("cards-empty"), cards.length === 0);
}

/* Replace the card in place when it is on the board, else add it at the end. */
export function upsertCard(card, context) {
  const fresh = cardNode(card, context);
  const existing = document.getElementById(`card-${card.id}`);
  if (existing) existing.replaceWith(fresh);
  else document.getElementById("cards").append(fresh);
  refreshCount();
  return fresh;
}

export function removeCard(cardId) {
  const existing = document.getElementById(`card-${cardId}`);
  if (existing) existing.remove();
  refreshCount();
}

export function addPreview(preview, context) {
  const list = document.getElementById("previews");
  list.append(el("li", { class: "preview", "data-testid": "preview" }, [
    el("span", { class: `provider provider-${preview.provider}`, text: context.name(preview.provider) }),
    " ",
    el("a", { href: webUrl(preview.url), target: "_blank", rel: "noopener noreferrer", text: preview.title }),
  ]));
  show(document.getElementById("previews-section"), true);
}
