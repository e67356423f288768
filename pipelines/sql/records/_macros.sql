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
