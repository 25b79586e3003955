/* The board page (templates/cards/board.html): the paste box, the import picker, the create
   form and the card edit dialog, all over the REST API v1. Loaded as a module from this origin:
   the page has no inline script (CSP script-src 'self'). */

import { api, query } from "./board.api.js";
import { board, el, renderProblem, flash, busy } from "./board.ui.js";
import { addPreview, upsertCard, webUrl } from "./board.cards.js";
import { Picker } from "./board.picker.js";
import { CreateTask } from "./board.create.js";
import { CardDialog } from "./board.dialog.js";

const context = board();
const PENDING_REQUEST = "Your install request is waiting for an admin's approval.";

/* The paste box: "Unfurl" makes a link preview, "Add as card" imports the task. Whatever the
   answer, a refused link stays in the box so it can be fixed or tried again. */
function setUpPasteBox() {
  const form = document.getElementById("paste-form");
  const input = document.getElementById("paste-url");
  const unfurlButton = document.getElementById("paste-unfurl");
  const importButton = document.getElementById("paste-import");
  const result = document.getElementById("paste-result");

  async function send(kind) {
    const url = input.value.trim();
    if (!url) {
      renderProblem(result, { status: 400, data: { error: { code: "empty", message: "Paste a task link first." } } }, context, "paste-error");
      input.focus();
      return;
    }
    const button = kind === "unfurl" ? unfurlButton : importButton;
    busy(button, true, kind === "unfurl" ? "Unfurling…" : "Adding…");
    result.replaceChildren();
    const answer = await api("POST", `boards/${context.id}/${kind === "unfurl" ? "unfurls" : "cards"}/`, { url });
    busy(button, false);
    if (!answer.ok || answer.status === 202) {
      renderProblem(result, answer, context, "paste-error");
      return;
    }
    input.value = "";
    if (kind === "unfurl") {
      const preview = answer.data;
      addPreview(preview, context);
      const href = webUrl(preview.url);
      result.replaceChildren(el("div", { class: "unfurl", "data-testid": "paste-preview" }, [
        el("span", { class: `provider provider-${preview.provider}`, text: context.name(preview.provider) }),
        href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: preview.title }) : preview.title,
      ]));
    } else {
      const [card] = answer.data.cards;
      upsertCard(card, context);
      flash(`“${card.title}” added to the board.`);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send("unfurl");
  });
  importButton.addEventListener("click", () => send("import"));
  // Pasting a link unfurls it at once; typing waits for the button.
  input.addEventListener("paste", () => {
    setTimeout(() => {
      if (/^https?:\/\/\S+$/i.test(input.value.trim())) send("unfurl");
    }, 0);
  });
}

/* The import dialog's request buttons, as the API says now: a request made meanwhile from the
   paste box is shown as waiting instead of offered again. */
async function markPendingRequests() {
  const answer = await api("GET", `integrations/${query({ team: context.teamId })}`);
  if (!answer.ok) return;
  for (const state of answer.data) {
    const item = document.querySelector(`[data-testid="install-needed-${state.key}"]`);
    const form = item && item.querySelector("form");
    if (form && !state.installed && state.request_status === "pending") {
      form.replaceWith(el("span", { class: "muted", text: PENDING_REQUEST }));
    }
  }
}

function setUpDialogs() {
  const openImport = document.getElementById("open-import");
  const openCreate = document.getElementById("open-create");
  const cardDialog = new CardDialog(context);
  if (openImport.dataset.usable === "yes") {
    const picker = new Picker(context);
    openImport.addEventListener("click", () => picker.open());
  } else {
    // Nothing installed: the dialog offers the install requests instead of the picker.
    const dialog = document.getElementById("import-dialog");
    openImport.addEventListener("click", async () => {
      dialog.showModal();
      await markPendingRequests();
    });
  }
  if (!openCreate.disabled) {
    const create = new CreateTask(context);
    openCreate.addEventListener("click", () => create.open());
  }
  document.getElementById("cards").addEventListener("click", (event) => {
    const opener = event.target.closest(".card-open");
    if (opener) cardDialog.open(opener.dataset.cardId);
  });
}

setUpPasteBox();
setUpDialogs();
// Every handler is attached: a click on a card now opens its dialog (browser tests wait for it).
document.documentElement.dataset.boardReady = "true";
