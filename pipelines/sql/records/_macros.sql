-- Group sets shared by the record-level marts (see pipelines/records/MARTS.md).
CREATE OR REPLACE MACRO rec_group_name(group_set, sex, major, minor) AS
    CASE group_set
        WHEN 'sex' THEN sex
        WHEN 'ethnicity_major' THEN
            CASE WHEN major = 'Unknown / refused / information not yet obtained'
                 THEN 'Unknown / refused / not obtained' ELSE major END
        WHEN 'ethnicity_white_british' THEN
            CASE WHEN minor = 'White - White British' THEN 'White British'
                 WHEN major = 'White' THEN 'Other White'
                 WHEN major = 'Unknown / refused / information not yet obtained' THEN 'Unknown'
                 ELSE 'Ethnic minority' END
    END;

CREATE OR REPLACE MACRO rec_group_is_known(group_set, sex, major) AS
    CASE group_set
        WHEN 'sex' THEN sex <> 'Unknown'
        ELSE major <> 'Unknown / refused / information not yet obtained'
    END;

CREATE OR REPLACE MACRO rec_academic_year(time_period) AS
    (time_period // 100)::VARCHAR || '/' || lpad((time_period % 100)::VARCHAR, 2, '0');

CREATE OR REPLACE MACRO rec_group_sets() AS TABLE
    SELECT * FROM (VALUES ('sex'), ('ethnicity_major'), ('ethnicity_white_british')) AS s (group_set);

-- 'Overall' counts every start, 'Funded' the funded ones: join on funding = 'Overall' OR funded.
CREATE OR REPLACE MACRO rec_fundings() AS TABLE
    SELECT * FROM (VALUES ('Overall'), ('Funded')) AS f (funding);
