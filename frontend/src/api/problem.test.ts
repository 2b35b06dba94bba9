import { describe, expect, it } from "vitest";
import { ApiError, describeError, fieldErrors, fieldSentence, formErrors, toProblem } from "./problem";

describe("problem details", () => {
  it("puts validation errors beside their fields", () => {
    const problem = toProblem(
      {
        code: "validation_failed",
        detail: "The request is invalid.",
        errors: [
          { field: "expirationDate", message: "must be at most 730 days ahead" },
          { field: "body.role", message: "must be editor or viewer" },
          { field: "other", message: "unexpected" },
        ],
      },
      422,
    );
    const { byField, general } = fieldErrors(problem, {
      title: "name",
      expirationDate: "date",
      role: "role",
    });
    expect(byField).toEqual({
      date: "must be at most 730 days ahead",
      role: "must be editor or viewer",
    });
    expect(general).toBe("unexpected");
  });

  it("maps a coded error without field list to its field", () => {
    const problem = toProblem({ code: "title_taken", detail: "A key named CI already exists." }, 409);
    const { byField, general } = fieldErrors(problem, { title: "name" }, { title_taken: "name" });
    expect(byField).toEqual({ name: "A key named CI already exists." });
    expect(general).toBeNull();
  });

  it("falls back to the detail when nothing is field-specific", () => {
    const problem = toProblem({ code: "forbidden", detail: "Administrators only." }, 403);
    expect(fieldErrors(problem, { title: "name" }).general).toBe("Administrators only.");
    expect(describeError(new ApiError(403, problem))).toBe("Administrators only.");
    expect(toProblem("Bad gateway", 502).title).toBe("Bad gateway");
    expect(describeError(new TypeError("Failed to fetch"))).toBe("Cannot reach the Keyhouse server.");
  });
});

describe("fieldSentence", () => {
  it("reads a fragment after the field label", () => {
    expect(fieldSentence("Name", "is already used by another key")).toBe(
      "Name is already used by another key.",
    );
    expect(fieldSentence("Role", "Input should be 'editor' or 'viewer'")).toBe(
      "Input should be 'editor' or 'viewer'.",
    );
    expect(fieldSentence("Name", "")).toBe("Name is invalid.");
  });
});

describe("formErrors", () => {
  const fields = { title: "title", expirationDate: "expirationDate" } as const;
  const labels = { title: "Name", expirationDate: "Expiration date" };

  it("puts labelled sentences beside the fields the API named", () => {
    const error = new ApiError(
      422,
      toProblem({ code: "validation_failed", errors: [{ field: "title", message: "must not be empty" }] }, 422),
    );
    expect(formErrors(error, fields, labels)).toEqual({
      errors: { title: "Name must not be empty." },
      general: null,
    });
  });

  it("maps an error code to a field", () => {
    const error = new ApiError(409, toProblem({ code: "title_taken", detail: "Already used." }, 409));
    expect(formErrors(error, fields, labels, { title_taken: "title" }).errors).toEqual({
      title: "Already used.",
    });
  });

  it("keeps server failures general", () => {
    const error = new ApiError(500, toProblem({ detail: "Something went wrong on our side." }, 500));
    expect(formErrors(error, fields, labels)).toEqual({
      errors: {},
      general: "Something went wrong on our side.",
    });
  });
});
