import { useState } from "react";
import { useTranslation } from "react-i18next";
import { describedBy, FieldError } from "~/components/forms";
import { countGraphemes, mastodonLength } from "~/publishing/text-length";

/**
 * A publication's text with a live count as its network counts it (Mastodon: a link is 23
 * characters; elsewhere graphemes), said politely to screen readers and marked when over the limit.
 */
export function TextWithCounter(props: {
  id: string;
  name: string;
  label: string;
  kind: string;
  limit: number;
  defaultValue: string;
  error?: string;
  /** What to show under the field about the text as it is now (the personal data check). */
  after?: (text: string) => React.ReactNode;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(props.defaultValue);
  const count = props.kind === "mastodon" ? mastodonLength(text) : countGraphemes(text);
  const over = count - props.limit;
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        name={props.name}
        rows={8}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={props.error || over > 0 ? true : undefined}
        aria-describedby={describedBy(`${props.id}-count`, props.error && `${props.id}-error`)}
      />
      <p id={`${props.id}-count`} className={over > 0 ? "field-error" : "hint"} aria-live="polite">
        {over > 0 ? t("publishing.create.over", { count, limit: props.limit, over }) : t("publishing.create.counter", { count, limit: props.limit })}
      </p>
      <FieldError id={`${props.id}-error`} message={props.error} />
      {props.after?.(text)}
    </div>
  );
}
