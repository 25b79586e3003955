/* "New task": a task created in the chosen project with the user's token, then its card.
   A refusal shows what the tool said and keeps everything the user typed. */

import { api } from "./board.api.js";
import { renderProblem, flash, busy } from "./board.ui.js";
import { upsertCard } from "./board.cards.js";
import { Cascade } from "./board.picker.js";

export class CreateTask {
  constructor(context) {
    this.context = context;
    this.dialog = document.getElementById("create-dialog");
    this.form = document.getElementById("create-form");
    this.title = document.getElementById("create-title");
    this.description = document.getElementById("create-description");
    this.submit = document.getElementById("create-submit");
    this.problem = document.getElementById("create-problem");
    this.cascade = new Cascade({
      context,
      integration: document.getElementById("create-integration"),
      workspace: document.getElementById("create-workspace"),
      project: document.getElementById("create-project"),
      problem: this.problem,
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
  }

  open() {
    this.dialog.showModal();
    this.cascade.ensureLoaded();
  }

  async create() {
    const integration = this.cascade.integration.value;
    const container = this.cascade.project.value;
    const title = this.title.value.trim();
    if (!container || !title) {
      const message = !container ? "Choose the project the task goes in." : "Give the task a title.";
      renderProblem(this.problem, { status: 400, data: { error: { code: "incomplete", message } } }, this.context, "create-error");
      (!container ? this.cascade.project : this.title).focus();
      return;
    }
    this.problem.replaceChildren();
    busy(this.submit, true, "Creating…");
    const result = await api("POST", `boards/${this.context.id}/cards/`, {
      integration,
      create: { container, title, description: this.description.value },
    });
    busy(this.submit, false);
    if (!result.ok || result.status === 202) {
      renderProblem(this.problem, result, this.context, "create-error", { newTab: true });
      return;
    }
    const [card] = result.data.cards;
    upsertCard(card, this.context);
    this.title.value = "";
    this.description.value = "";
    this.dialog.close();
    flash(`Task “${card.title}” created in ${this.context.name(integration)}.`);
  }
}
