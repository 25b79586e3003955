/* "Jira issues" in the card edit dialog of an Asana card: the issues linked to the task, and
   a form that creates a linked Jira issue (POST /api/v1/cards/{id}/jira-issue).

   The form is built from the API's answer to GET /api/v1/cards/{id}/jira-issue, which comes
   from Jira's createmeta read with the user's own Jira token: the projects, then for the chosen
   project its issue types and the required fields each one needs (select lists for fields
   with allowed values). The issue gets the task's title and description; the answer lists the
   files copied from Asana and the attachments skipped because they are links to other
   services. Loaded only when asked for, so opening a card never calls Jira. */

import { api, query } from "./board.api.js";
import { el, show, problemNode, busy, connectHref } from "./board.ui.js";
import { webUrl } from "./board.cards.js";

const JIRA = "jira_server";
const DEFAULT_ISSUE_TYPES = ["Task", "Story", "Bug"];

function fill(select, items, placeholder) {
  select.replaceChildren(
    ...(placeholder === null ? [] : [el("option", { value: "", text: placeholder })]),
    ...items.map((item) => el("option", { value: item.value, text: item.label })),
  );
}

/* Whether Jira is installed for the board's team (from the board's integrations strip). */
function jiraOffered() {
  const chip = document.querySelector(`.integration-chip[data-integration="${JIRA}"]`);
  return Boolean(chip) && ["connected", "not-connected", "needs-reconnect"].includes(chip.dataset.status);
}

function issueLink(link) {
  const href = webUrl(link.url);
  const key = link.jira_issue_key || link.key;
  const attrs = { "data-testid": "jira-issue-link", "data-key": key };
  return href
    ? el("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer", text: `${key} ↗` })
    : el("span", { ...attrs, text: key });
}

export class JiraIssues {
  constructor(context) {
    this.context = context;
    this.section = document.getElementById("card-jira");
    this.linked = document.getElementById("jira-linked");
    this.linkedNone = document.getElementById("jira-linked-none");
    this.openButton = document.getElementById("jira-open");
    this.connectPrompt = document.getElementById("jira-connect-prompt");
    this.connectLink = document.getElementById("jira-connect-link");
    this.form = document.getElementById("jira-form");
    this.project = document.getElementById("jira-project");
    this.issueType = document.getElementById("jira-issue-type");
    this.fields = document.getElementById("jira-fields");
    this.create = document.getElementById("jira-create");
    this.problem = document.getElementById("jira-problem");
    this.result = document.getElementById("jira-result");
    this.card = null;
    this.types = [];
    this.generation = 0;
    this.openButton.addEventListener("click", () => this.openForm());
    document.getElementById("jira-cancel").addEventListener("click", () => this.closeForm());
    this.project.addEventListener("change", () => this.loadProject());
    this.issueType.addEventListener("change", () => this.showFields());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  /* A new card in the dialog: nothing shown until its stored data says what it is. */
  reset() {
    this.generation += 1;
    this.card = null;
    show(this.section, false);
    show(this.connectPrompt, false);
    this.openButton.disabled = false;
    this.closeForm();
    this.result.replaceChildren();
    this.linked.replaceChildren();
  }

  /* The stored card (GET /cards/{id}, with jira_issues): an Asana card shows its linked
     issues, and the create button when Jira is installed for the team. */
  showCard(card) {
    this.card = card;
    const links = card.jira_issues || [];
    if (card.provider !== "asana" || !(links.length || jiraOffered())) return;
    this.showLinked(links);
    show(this.openButton, jiraOffered());
    show(this.section, true);
  }

  /* Jira installed but the viewer not connected: the create button is disabled and a prompt
     says why, with the way to connect (coming back to this board). */
  applyConnection(state) {
    const blocked = Boolean(state && state.installed && !state.connected);
    this.openButton.disabled = blocked;
    this.openButton.title = blocked ? "Connect your Jira Server account first" : "";
    show(this.connectPrompt, blocked && !this.openButton.classList.contains("hidden"));
    if (blocked) this.connectLink.setAttribute("href", connectHref(state.connect_url, this.context));
    if (blocked) this.closeForm();
  }

  showLinked(links) {
    this.linked.replaceChildren(...links.map((link) => el("li", { "data-testid": "jira-linked-issue" }, [issueLink(link)])));
    show(this.linkedNone, links.length === 0);
  }

  addLinked(link) {
    const keys = [...this.linked.querySelectorAll("[data-key]")].map((node) => node.dataset.key);
    if (keys.includes(link.jira_issue_key)) return;
    this.linked.append(el("li", { "data-testid": "jira-linked-issue" }, [issueLink(link)]));
    show(this.linkedNone, false);
  }

  closeForm() {
    show(this.form, false);
    show(this.openButton, Boolean(this.card) && jiraOffered());
    this.problem.replaceChildren();
    this.fields.replaceChildren();
    fill(this.project, [], "Loading…");
    fill(this.issueType, [], "—");
    this.project.disabled = true;
    this.issueType.disabled = true;
    this.create.disabled = true;
  }

  showProblem(result) {
    const context = { ...this.context, name: (key) => this.context.name(key || JIRA) };
    this.problem.replaceChildren(problemNode(result, context, "jira-error", { newTab: true }));
  }

  formPath(project) {
    return `cards/${this.card.id}/jira-issue${query({ project })}`;
  }

  /* The projects the user may create issues in. */
  async openForm() {
    if (!this.card) return;
    const generation = this.generation;
    this.result.replaceChildren();
    this.problem.replaceChildren();
    show(this.openButton, false);
    show(this.form, true);
    const answer = await api("GET", this.formPath(""));
    if (generation !== this.generation) return;
    if (!answer.ok || answer.status === 202) {
      show(this.form, false);
      show(this.openButton, true);
      this.showProblem(answer);
      return;
    }
    if (answer.data.linked_issues) this.showLinked(answer.data.linked_issues);
    const projects = answer.data.projects || [];
    fill(this.project, projects.map((project) => ({ value: project.key, label: `${project.name} (${project.key})` })),
      projects.length ? "Choose a project" : "No project you can create issues in");
    this.project.disabled = projects.length === 0;
    if (projects.length === 1) {
      this.project.value = projects[0].key;
      this.loadProject();
    }
  }

  /* The chosen project's issue types, each with the fields the user must fill in. */
  async loadProject() {
    const generation = ++this.generation;
    const key = this.project.value;
    this.problem.replaceChildren();
    this.fields.replaceChildren();
    fill(this.issueType, [], key ? "Loading…" : "—");
    this.issueType.disabled = true;
    this.create.disabled = true;
    if (!key) return;
    const answer = await api("GET", this.formPath(key));
    if (generation !== this.generation) return;
    if (!answer.ok) {
      fill(this.issueType, [], "—");
      this.showProblem(answer);
      return;
    }
    const project = (answer.data.projects || []).find((entry) => entry.key === key);
    this.types = project ? project.issue_types : [];
    fill(this.issueType, this.types.map((type) => ({ value: type.id, label: type.name })), null);
    const preferred = DEFAULT_ISSUE_TYPES.map((name) => this.types.find((type) => type.name === name)).find(Boolean);
    if (preferred) this.issueType.value = preferred.id;
    this.issueType.disabled = this.types.length === 0;
    this.create.disabled = this.types.length === 0;
    this.showFields();
  }

  chosenType() {
    return this.types.find((type) => type.id === this.issueType.value) || null;
  }

  /* One control per required field: a select when Jira lists the allowed values. */
  showFields() {
    const type = this.chosenType();
    const fields = (type && type.fields) || [];
    this.fields.replaceChildren(...fields.map((field) => this.fieldNode(field)));
  }

  fieldNode(field) {
    const id = `jira-field-${field.id}`;
    const list = field.type === "array" && !(field.allowed_values && field.allowed_values.length);
    const common = {
      id, name: field.id, required: true,
      "data-testid": "jira-field", "data-field": field.id, "data-list": list ? "comma" : null,
    };
    let control;
    if (field.allowed_values && field.allowed_values.length) {
      const multiple = field.type === "array";
      control = el("select", { ...common, multiple });
      fill(control, field.allowed_values.map((value) => ({ value: value.id, label: value.name })), multiple ? null : `Choose ${field.name}`);
    } else {
      const type = { number: "number", date: "date" }[field.type] || "text";
      const hint = field.type === "user" ? "Jira username"
        : field.type === "array" ? "Separate values with commas"
          : field.type === "datetime" ? "e.g. 2030-06-28T09:00:00.000+0000" : "";
      control = el("input", { ...common, type, placeholder: hint || null });
    }
    return el("div", { class: "jira-field" }, [
      el("label", { for: id, text: `${field.name} (required)` }),
      control,
    ]);
  }

  fieldValues() {
    const values = {};
    for (const control of this.fields.querySelectorAll("[data-field]")) {
      const field = control.dataset.field;
      if (control.multiple) {
        values[field] = [...control.selectedOptions].map((option) => option.value);
      } else if (control.dataset.list === "comma") {
        values[field] = control.value.split(",").map((part) => part.trim()).filter(Boolean);
      } else {
        values[field] = control.value;
      }
    }
    return values;
  }

  async submit() {
    if (!this.card || !this.project.value) {
      this.showProblem({ status: 400, data: { error: { code: "incomplete", message: "Choose the Jira project the issue goes in.", detail: {} } } });
      return;
    }
    const generation = this.generation;
    const cardId = this.card.id;
    this.problem.replaceChildren();
    busy(this.create, true, "Creating…");
    const answer = await api("POST", `cards/${cardId}/jira-issue`, {
      project: this.project.value,
      issue_type: this.issueType.value,
      fields: this.fieldValues(),
    });
    busy(this.create, false);
    if (generation !== this.generation) return;
    if (!answer.ok || answer.status === 202) {
      // The form keeps every choice and value: fix or reconnect, then create again.
      this.showProblem(answer);
      return;
    }
    this.addLinked(answer.data.link);
    this.closeForm();
    this.result.replaceChildren(this.createdNode(answer.data));
  }

  createdNode(created) {
    const { issue, attachments } = created;
    const copied = attachments.copied || [];
    const skipped = attachments.skipped || [];
    const failed = attachments.failed || [];
    const done = [
      el("p", {}, [
        "Created ",
        issueLink({ url: issue.url, key: issue.key }),
        ` in Jira: “${issue.title}”.`,
      ]),
      el("p", {
        class: "muted", "data-testid": "jira-copied",
        text: copied.length
          ? `Copied from Asana: ${copied.map((file) => file.name).join(", ")}.`
          : "No file to copy from Asana.",
      }),
    ];
    // What worked is a success; what was left out is a warning, in its own box.
    const boxes = [el("div", { class: "banner-ok", role: "status" }, done)];
    if (skipped.length) {
      boxes.push(el("div", { class: "banner-warn", "data-testid": "jira-skipped-warning" }, [
        el("p", { text: "Not copied to Jira (links to other services, not files):" }),
        el("ul", { class: "attachments", "data-testid": "jira-skipped" }, skipped.map((item) => {
          const href = webUrl(item.url);
          return el("li", { "data-testid": "jira-skipped-attachment" }, [
            href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: item.name }) : item.name,
            el("span", { text: ` — ${item.reason}` }),
          ]);
        })),
      ]));
    }
    if (failed.length) {
      boxes.push(el("div", { class: "banner-error", "data-testid": "jira-failed-warning" }, [
        el("p", { text: "Could not be copied:" }),
        el("ul", { class: "attachments", "data-testid": "jira-failed" }, failed.map((item) =>
          el("li", { text: `${item.name}: ${item.reason}` }))),
      ]));
    }
    return el("div", { class: "jira-created", "data-testid": "jira-created" }, boxes);
  }
}
