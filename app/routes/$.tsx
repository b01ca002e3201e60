import { GeneralErrorBoundary } from "~/components/error-boundary";

// Any URL no route claims: a friendly 404 page.
export async function loader() {
  throw new Response("Not Found", { status: 404 });
}

export default function NotFound() {
  return null;
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
