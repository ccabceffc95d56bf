"""The billing-platform dialect (`/organizations/{orgId}/...`): camelCase, `{data, nextToken}` pages, Bearer
auth. Views only parse and render; the workflows are the services the /v1 API and the admin share."""
