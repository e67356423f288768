-- One row per source x ethnicity label as that source publishes it: the harmonised major group,
-- the minor group, the White British / Other White / Ethnic minority / Unknown group and the
-- White / Ethnic minority / Unknown group it belongs to. Sources: school_workforce (School
-- workforce 'Teacher characteristics', major and minor labels), school_census_pupils (School
-- census 'Major - Minor' labels) and npq_participants (ECF/NPQ release labels, major groups
-- only). Unknown, refused, unclassified and not-yet-obtained are their own group, never pooled
-- into 'Other ethnic group'. A NULL group means the label spans groups (a workforce or NPQ
-- 'White' row covers both White British and Other White). 'Ethnic minority' means every known
-- group outside White (the 'global majority'); Other White (Irish, Gypsy/Roma, Traveller of Irish
-- heritage, any other White background) is kept apart from it.
WITH

labels AS (
    SELECT *
    FROM (
        VALUES
            -- School workforce: a minor label where the file has minors, else the major label.
            ('school_workforce', 'Total', 'total', NULL, NULL, NULL, NULL, NULL, NULL),
            ('school_workforce', 'White', 'major', 'White', NULL, NULL, 'White', NULL, true),
            (
                'school_workforce', 'White - White British', 'minor', 'White', 'White British',
                'White British', 'White', NULL, true
            ),
            (
                'school_workforce', 'White - Irish', 'minor', 'White', 'Irish', 'Other White',
                'White', NULL, true
            ),
            (
                'school_workforce', 'White - Gypsy/Roma', 'minor', 'White', 'Gypsy/Roma',
                'Other White', 'White', NULL, true
            ),
            (
                'school_workforce', 'White - Traveller of Irish heritage', 'minor', 'White',
                'Traveller of Irish heritage', 'Other White', 'White', NULL, true
            ),
            (
                'school_workforce', 'White - Any other White background', 'minor', 'White',
                'Any other White background', 'Other White', 'White', NULL, true
            ),
            (
                'school_workforce', 'Mixed / Multiple ethnic groups', 'major',
                'Mixed / Multiple ethnic groups', NULL, 'Ethnic minority', 'Ethnic minority',
                NULL, true
            ),
            (
                'school_workforce', 'Asian / Asian British', 'major', 'Asian / Asian British',
                NULL, 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_workforce', 'Black / African / Caribbean / Black British', 'major',
                'Black / African / Caribbean / Black British', NULL, 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_workforce', 'Other ethnic group', 'major', 'Other ethnic group', NULL,
                'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_workforce', 'Unknown / refused / information not yet obtained', 'major',
                'Unknown / refused / not obtained', NULL, 'Unknown', 'Unknown', NULL, false
            ),
            (
                'school_workforce', 'Refused', 'minor', 'Unknown / refused / not obtained',
                'Refused', 'Unknown', 'Unknown', 'Refused', false
            ),
            (
                'school_workforce', 'Information not yet obtained', 'minor',
                'Unknown / refused / not obtained', 'Information not yet obtained', 'Unknown',
                'Unknown', 'Information not yet obtained', false
            ),
            -- School census (pupils): every label is a minor group; majors are their sums.
            ('school_census_pupils', 'Total', 'total', NULL, NULL, NULL, NULL, NULL, NULL),
            (
                'school_census_pupils', 'White - White British', 'minor', 'White',
                'White British', 'White British', 'White', NULL, true
            ),
            (
                'school_census_pupils', 'White - Irish', 'minor', 'White', 'Irish',
                'Other White', 'White', NULL, true
            ),
            (
                'school_census_pupils', 'White - Gypsy/Roma', 'minor', 'White', 'Gypsy/Roma',
                'Other White', 'White', NULL, true
            ),
            (
                'school_census_pupils', 'White - Traveller of Irish heritage', 'minor', 'White',
                'Traveller of Irish heritage', 'Other White', 'White', NULL, true
            ),
            (
                'school_census_pupils', 'White - Any other White background', 'minor', 'White',
                'Any other White background', 'Other White', 'White', NULL, true
            ),
            (
                'school_census_pupils', 'Mixed - White and Black Caribbean', 'minor',
                'Mixed / Multiple ethnic groups', 'White and Black Caribbean', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Mixed - White and Black African', 'minor',
                'Mixed / Multiple ethnic groups', 'White and Black African', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Mixed - White and Asian', 'minor',
                'Mixed / Multiple ethnic groups', 'White and Asian', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Mixed - Any other Mixed background', 'minor',
                'Mixed / Multiple ethnic groups', 'Any other Mixed background', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Asian - Indian', 'minor', 'Asian / Asian British',
                'Indian', 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Asian - Pakistani', 'minor', 'Asian / Asian British',
                'Pakistani', 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Asian - Bangladeshi', 'minor', 'Asian / Asian British',
                'Bangladeshi', 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Asian - Chinese', 'minor', 'Asian / Asian British',
                'Chinese', 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Asian - Any other Asian background', 'minor',
                'Asian / Asian British', 'Any other Asian background', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Black - Black Caribbean', 'minor',
                'Black / African / Caribbean / Black British', 'Black Caribbean',
                'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Black - Black African', 'minor',
                'Black / African / Caribbean / Black British', 'Black African', 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Black - Any other Black background', 'minor',
                'Black / African / Caribbean / Black British', 'Any other Black background',
                'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Any other ethnic group', 'minor', 'Other ethnic group',
                'Any other ethnic group', 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'school_census_pupils', 'Unclassified', 'minor',
                'Unknown / refused / not obtained', 'Unclassified', 'Unknown', 'Unknown',
                'Unclassified (refused or not obtained)', false
            ),
            -- NPQ participants (ECF/NPQ release labels): major groups only, so no White
            -- British split. 'Any other Mixed background' is how those releases label the
            -- Mixed group as a whole.
            ('npq_participants', 'White', 'major', 'White', NULL, NULL, 'White', NULL, true),
            (
                'npq_participants', 'Any other Mixed background', 'major',
                'Mixed / Multiple ethnic groups', NULL, 'Ethnic minority', 'Ethnic minority',
                NULL, true
            ),
            (
                'npq_participants', 'Asian or Asian British', 'major', 'Asian / Asian British',
                NULL, 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'npq_participants', 'Black or Black British', 'major',
                'Black / African / Caribbean / Black British', NULL, 'Ethnic minority',
                'Ethnic minority', NULL, true
            ),
            (
                'npq_participants', 'Any Other ethnic group', 'major', 'Other ethnic group',
                NULL, 'Ethnic minority', 'Ethnic minority', NULL, true
            ),
            (
                'npq_participants', 'Unknown', 'major', 'Unknown / refused / not obtained',
                NULL, 'Unknown', 'Unknown', NULL, false
            )
    ) AS t(
        source,
        source_label,
        label_level,
        ethnicity_major,
        ethnicity_minor,
        white_british_group,
        white_or_minority,
        unknown_detail,
        is_known
    )
)

SELECT
    CAST(source AS VARCHAR) AS source,
    CAST(source_label AS VARCHAR) AS source_label,
    CAST(label_level AS VARCHAR) AS label_level,
    CAST(ethnicity_major AS VARCHAR) AS ethnicity_major,
    CAST(ethnicity_minor AS VARCHAR) AS ethnicity_minor,
    CAST(white_british_group AS VARCHAR) AS white_british_group,
    CAST(white_or_minority AS VARCHAR) AS white_or_minority,
    CAST(unknown_detail AS VARCHAR) AS unknown_detail,
    CAST(is_known AS BOOLEAN) AS is_known,
    CASE ethnicity_major
        WHEN 'White' THEN 1
        WHEN 'Mixed / Multiple ethnic groups' THEN 2
        WHEN 'Asian / Asian British' THEN 3
        WHEN 'Black / African / Caribbean / Black British' THEN 4
        WHEN 'Other ethnic group' THEN 5
        WHEN 'Unknown / refused / not obtained' THEN 6
    END AS major_order,
    -- The labels and their grouping are the published DfE / GSS classifications.
    'published' AS provenance
FROM labels
ORDER BY source, major_order NULLS FIRST, label_level, source_label
