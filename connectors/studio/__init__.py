"""The studio: pages inside Airflow's UI to connect apps, build and dry-run workflows, watch and replay events, and
build app versions (docs/studio.md).

The pages are static files (plain HTML, CSS and JavaScript: no build step, no CDN) served under
`/integrations/studio/` behind the same Airflow login as the management API, whose routes they call, together with
Airflow's own REST API for connections (`/api/v2/connections`, its Test button). The plugin puts the studio in
Airflow's navigation (`external_views`), where it opens in a frame on the same origin, already logged in.
"""

from connectors.studio.pages import STUDIO_PATH, studio_app

__all__ = ["STUDIO_PATH", "studio_app"]
